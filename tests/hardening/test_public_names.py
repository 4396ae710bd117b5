"""Issue 22, point 9: public boards never show a username made from a Discord id, and the
health document does not tell the database vendor."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from rest_framework.test import APIClient

from core.services.accounts.user_service import DiscordIdentity, sign_in_discord
from users.models import CustomUser, ServiceAPIKey
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

DISCORD_ID = "123456789012345678"


def test_a_bot_created_account_is_on_the_public_board_without_its_discord_id(api_client):
    _, raw = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])
    bot = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    added = bot.post("/api/v1/xp/add/", {"activity": "pushups", "units": 5, "discord_id": DISCORD_ID}, format="json")
    assert added.status_code == 201, added.content
    board = api_client.get("/api/v1/seasons/reality/")
    assert board.status_code == 200
    (row,) = board.json()["results"]
    assert DISCORD_ID not in row["user"]["username"] and DISCORD_ID not in row["user"]["display_name"]
    assert DISCORD_ID not in board.content.decode()


def test_a_username_clash_at_sign_in_is_resolved_without_the_discord_id():
    PlayerFactory(username="ann")
    user = sign_in_discord(
        identity=DiscordIdentity(
            discord_id=DISCORD_ID, username="ann", display_name="Ann", avatar_url="", extra_data={}
        )
    )
    user.refresh_from_db()
    assert user.username.startswith("ann_") and DISCORD_ID not in user.username


def test_the_migration_renames_usernames_made_from_discord_ids():
    made = PlayerFactory(username=f"discord_{DISCORD_ID}", discord_id=DISCORD_ID)
    clashed = PlayerFactory(username="bob_223456789012345678", discord_id="223456789012345678")
    kept = PlayerFactory(username="carol", discord_id="323456789012345678")
    migration = importlib.import_module("users.migrations.0003_usernames_without_discord_ids")
    migration.rename(global_apps, None)
    names = dict(CustomUser.objects.values_list("pk", "username"))
    assert names[made.pk].startswith("player_") and DISCORD_ID not in names[made.pk]
    assert names[clashed.pk].startswith("bob_") and "223456789012345678" not in names[clashed.pk]
    assert names[kept.pk] == "carol"


def test_health_does_not_tell_the_database_vendor(api_client):
    body = api_client.get("/api/v1/health/").json()
    assert "database_vendor" not in body and "postgresql" not in str(body)
    assert body["database"] == "ok"
