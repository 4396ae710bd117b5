"""Erasure and export know every personal datum: the seats of a player's events, the Discord link
(tokens revoked and the Linked Roles connection cleared at Discord), the servers they were seen
in, and every model with a user foreign key or a Discord id (core/personal_data.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from allauth.socialaccount.models import SocialAccount
from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from community.models import DiscordLink, GuildMember
from core import crypto
from core.personal_data import CUSTOM, DELETE, KEEP, PERSONAL_DATA
from core.selectors.account import personal_data
from core.utils.dates import utc_now
from layers.models import Event
from tests.auth.conftest import CLIENT_ID
from tests.discord.conftest import (  # noqa: F401  (fixtures)
    GUILD_ID,
    _empty_job_queue,
    command,
    discord,
    discord_user,
    interactions,
    signing_key,
)
from tests.discord.test_linked_roles import link_through_discord
from tests.jobs import run_pending_jobs
from users.models import CustomUser
from users.tests.factories import PlayerFactory

ALICE = "111111111111111111"
ROLE_PATH = f"/api/users/@me/applications/{CLIENT_ID}/role-connection"


def personal_models() -> dict[str, list[str]]:
    """Every installed model with a foreign key to the user model or a field named like a
    Discord id, with those fields' names."""
    user_model = get_user_model()
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (field.is_relation and field.related_model is user_model) or "discord_id" in field.name:
                found.setdefault(model._meta.label, []).append(field.name)
    return found


def erase(client: APIClient) -> None:
    token = client.delete("/api/v1/user/").json()["confirmation_token"]
    assert client.delete("/api/v1/user/", {"confirmation_token": token}, format="json").status_code == 204


def test_every_model_with_a_user_key_or_a_discord_id_is_in_the_registry():
    found = personal_models()
    assert {"community.DiscordLink", "community.GuildMember", "layers.EventParticipation"} <= set(found)
    missing = sorted(set(found) - set(PERSONAL_DATA))
    assert not missing, f"say in core/personal_data.py how export and erasure handle {missing}"
    stale = sorted(label for label in PERSONAL_DATA if label not in {m._meta.label for m in apps.get_models()})
    assert not stale
    assert {handling.erase for handling in PERSONAL_DATA.values()} <= {DELETE, KEEP, CUSTOM}


@pytest.mark.django_db
def test_the_export_has_a_key_for_every_registered_model_and_erasure_deletes_the_delete_ones(player):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=player, email=player.email, verified=True, primary=True)
    GuildMember.objects.create(guild_id=GUILD_ID, user=player)
    client = APIClient()
    client.force_login(player)
    assert client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 30}, format="json").status_code == 201  # a level-up event
    document = client.get("/api/v1/user/export/").json()
    for label, handling in PERSONAL_DATA.items():
        assert handling.export in document, label
    assert document["email_addresses"][0]["email"] == player.email
    assert document["discord_guilds"][0]["guild_id"] == GUILD_ID
    assert document["daily_usage"] and document["domain_events"]

    erase(client)
    for label, handling in PERSONAL_DATA.items():
        if handling.erase != DELETE:
            continue
        model = apps.get_model(label)
        for field in personal_models()[label]:
            assert not model._default_manager.filter(**{field: player.pk}).exists(), (label, field)


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
        command("log", [{"name": "activity", "value": "pushups"}, {"name": "units", "value": 5}], user=discord_user(ALICE))
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
