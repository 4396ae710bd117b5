"""Erasing a player who joined events and linked Discord: seats given back in the same
transaction, the Linked Roles connection cleared and the tokens revoked at Discord (a job, after
commit), the Discord rows gone, nothing carrying the Discord id left."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from rest_framework.test import APIClient

from community.models import DiscordLink, GuildMember
from core.selectors.accounts.account import personal_data
from core.utils.dates import utc_now
from layers.models import Event
from tests.auth.conftest import CLIENT_ID
from tests.discord.conftest import GUILD_ID, command, discord_user
from tests.discord.test_linked_roles import link_through_discord
from tests.jobs import run_pending_jobs
from tests.users.test_personal_data_registry import erase, personal_models
from ultrabackend import crypto
from users.models import CustomUser
from users.tests.factories import PlayerFactory

ALICE = "111111111111111111"
ROLE_PATH = f"/api/users/@me/applications/{CLIENT_ID}/role-connection"


@pytest.mark.django_db(transaction=True)
def test_erasing_a_player_who_joined_an_event_and_linked_discord_forgets_everything(discord, interactions):
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    now = utc_now()
    event = Event.objects.create(
        name="Night run",
        kind=Event.DUNGEON,
        mode="reality",
        required_layer="RL0",
        starts_at=now + timedelta(hours=1),
        ends_at=now + timedelta(hours=3),
        capacity=5,
    )
    past = Event.objects.create(
        name="Last week",
        kind=Event.EVENT,
        mode="reality",
        required_layer="RL0",
        starts_at=now - timedelta(days=8),
        ends_at=now + timedelta(seconds=30),
    )
    client = APIClient()
    link_through_discord(discord, client)  # Alice's account, with Linked Roles
    run_pending_jobs()
    user = CustomUser.objects.get(discord_id=ALICE)
    client.force_login(user)
    logged = interactions.post(
        command(
            "log", [{"name": "activity", "value": "pushups"}, {"name": "units", "value": 5}], user=discord_user(ALICE)
        )
    )
    assert logged.status_code == 200
    for joined in (event, past):
        assert client.post(f"/api/v1/events/{joined.pk}/join/").status_code == 201
    Event.objects.filter(pk=past.pk).update(ends_at=now - timedelta(seconds=1))  # it ended
    assert APIClient().get(f"/api/v1/events/{event.pk}/").json()["participants"] == 1

    link = DiscordLink.objects.get(user=user)
    access = crypto.decrypt(link.access_token_encrypted)
    refresh = crypto.decrypt(link.refresh_token_encrypted)
    exported = client.get("/api/v1/user/export/")
    document = exported.json()
    assert document["discord_link"]["discord_id"] == ALICE
    assert document["discord_link"]["pushed_metadata"]["level"] == 1
    assert [row["guild_id"] for row in document["discord_guilds"]] == [GUILD_ID]
    assert [a["uid"] for a in document["linked_accounts"]] == [ALICE]
    assert access not in exported.content.decode() and refresh not in exported.content.decode()
    assert {p["event_id"] for p in document["event_participations"]} == {event.pk, past.pk}

    erase(client)

    # The seat is given back in the same transaction; who took part in the past event stays.
    assert APIClient().get(f"/api/v1/events/{event.pk}/").json()["participants"] == 0
    assert Event.objects.get(pk=past.pk).participant_count == 1
    assert not DiscordLink.objects.filter(user=user).exists()
    assert not GuildMember.objects.filter(user=user).exists()
    assert not SocialAccount.objects.filter(user=user).exists()
    for label, fields in personal_models().items():
        model = apps.get_model(label)
        for field in fields:
            if "discord_id" in field:
                assert not model._default_manager.filter(**{field: ALICE}).exists(), label
    assert ALICE not in json.dumps(list(CustomUser.objects.filter(pk=user.pk).values()), default=str)

    # After commit a job clears the role connection and revokes both tokens at Discord.
    run_pending_jobs()
    cleared = discord.requests_to("PUT", ROLE_PATH)[-1]
    assert cleared.headers["Authorization"] == f"Bearer {access}"
    assert cleared.body["metadata"] == {}
    assert discord.role_connections[ALICE]["metadata"] == {}
    assert {access, refresh} <= set(discord.revoked)
    assert access not in discord.tokens and refresh not in discord.refresh_tokens
    assert personal_data(CustomUser.objects.get(pk=user.pk))["discord_link"] is None


@pytest.mark.django_db(transaction=True)
def test_the_erasure_job_refreshes_an_expired_access_token_to_clear_the_connection(discord):
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    client = APIClient()
    link_through_discord(discord, client)
    run_pending_jobs()
    link = DiscordLink.objects.get(user__discord_id=ALICE)
    client.force_login(link.user)
    old_access = crypto.decrypt(link.access_token_encrypted)
    discord.token_expiry[old_access] = 0  # Discord no longer accepts it
    erase(client)
    run_pending_jobs()
    cleared = discord.requests_to("PUT", ROLE_PATH)[-1]
    assert cleared.body["metadata"] == {} and cleared.headers["Authorization"] != f"Bearer {old_access}"
    assert not [t for t, who in discord.tokens.items() if who == ALICE]  # the new pair is revoked too


@pytest.mark.django_db
def test_erasure_without_any_discord_link_defers_no_discord_job():
    from procrastinate.contrib.django.models import ProcrastinateJob

    player = PlayerFactory()
    client = APIClient()
    client.force_login(player)
    erase(client)
    assert not ProcrastinateJob.objects.filter(task_name="community.tasks.forget_discord_link").exists()
