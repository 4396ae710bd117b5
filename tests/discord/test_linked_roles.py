"""Linked Roles: the OAuth flow, tokens encrypted at rest and refreshed, the role connection
pushed at link time and after every change that moves it."""

from __future__ import annotations

import secrets
import subprocess
import sys
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from community.events import handle_event
from community.models import DiscordLink
from core.utils.dates import utc_now
from tests.auth.conftest import CLIENT_ID
from tests.discord.conftest import command, discord_user
from tests.discord.test_announcements import event_for
from tests.jobs import run_pending_jobs
from ultrabackend import crypto
from ultrabackend.crypto import check_keys
from users.models import CustomUser

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "111111111111111111"
ROLE_PATH = f"/api/users/@me/applications/{CLIENT_ID}/role-connection"


def link_through_discord(discord, client=None):
    """The player opens the verification URL, consents at Discord, and comes back."""
    client = client or APIClient()
    start = client.get("/api/v1/discord/linked-roles/")
    assert start.status_code == 302, start.content
    authorize = start["Location"]
    at_discord = requests.get(authorize, allow_redirects=False, timeout=5)
    assert at_discord.status_code == 302
    back = urlsplit(at_discord.headers["Location"])
    return authorize, client.get(f"{back.path}?{back.query}")


@pytest.fixture
def alice(discord):
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    return ALICE


def test_linking_stores_encrypted_tokens_and_pushes_the_role_connection(discord, alice, settings):
    authorize, done = link_through_discord(discord)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{discord.url}/oauth2/authorize?")
    assert query["scope"] == ["role_connections.write identify"]
    assert query["client_id"] == [CLIENT_ID]
    assert done.status_code == 302
    assert done["Location"] == f"{settings.FRONTEND_URL}/?discord_linked_roles=connected"

    user = CustomUser.objects.get(discord_id=ALICE)
    assert user.display_name == "Alice"
    found = DiscordLink.objects.get(user=user)
    [issued] = [t for t, who in discord.tokens.items() if who == ALICE]
    assert issued not in found.access_token_encrypted  # ciphertext at rest
    assert crypto.decrypt(found.access_token_encrypted) == issued
    assert found.scope == "role_connections.write identify"

    run_pending_jobs()
    [push] = discord.requests_to("PUT", ROLE_PATH)
    assert push.headers["Authorization"] == f"Bearer {issued}"
    assert push.body == {
        "platform_name": "iGoUltra",
        "platform_username": "Alice",
        "metadata": {
            "level": "1",
            "reality_layer": "0",
            "cyber_layer": "0",
            "reality_league": "1",
            "cyber_league": "1",
        },
    }
    found.refresh_from_db()
    assert found.pushed_at is not None


def test_role_connection_follows_a_level_up(discord, alice, interactions):
    link_through_discord(discord)
    run_pending_jobs()
    response = interactions.post(
        command(
            "log",
            [{"name": "activity", "value": "running"}, {"name": "units", "value": 5}],
            user=discord_user(ALICE, "Alice"),
        )
    )
    assert response.json()["data"]["embeds"][0]["title"] == "+1,500 XP · Running"
    user = CustomUser.objects.get(discord_id=ALICE)
    # What the domain events deliver for this award (issue 10's consumer interface).
    handle_event(event_for(user, "level_up", **{"from": 1, "to": 6, "mode": "reality"}))
    handle_event(event_for(user, "layer_up", **{"from": "RL0", "to": "RL1", "mode": "reality"}))  # same pending job
    assert ProcrastinateJob.objects.filter(task_name="community.tasks.push_role_connection", status="todo").count() == 1
    run_pending_jobs()
    pushes = discord.requests_to("PUT", ROLE_PATH)
    assert len(pushes) == 2
    assert pushes[-1].body["metadata"] == {
        "level": "6",
        "reality_layer": "1",
        "cyber_layer": "0",
        "reality_league": "1",
        "cyber_league": "1",
    }
    # Nothing moved since: a further event sends nothing.
    handle_event(event_for(user, "level_up", **{"from": 1, "to": 6}))
    run_pending_jobs()
    assert len(discord.requests_to("PUT", ROLE_PATH)) == 2


def test_events_of_players_without_a_link_defer_nothing(discord, alice):
    user = CustomUser.objects.create_user(username="x", discord_id="222222222222222222")
    handle_event(event_for(user, "level_up", **{"from": 1, "to": 2}))
    assert not ProcrastinateJob.objects.filter(task_name="community.tasks.push_role_connection").exists()


def test_an_expired_token_is_refreshed_before_the_push(discord, alice):
    link_through_discord(discord)
    run_pending_jobs()
    user = CustomUser.objects.get(discord_id=ALICE)
    old = crypto.decrypt(DiscordLink.objects.get(user=user).access_token_encrypted)
    discord.token_expiry[old] = 0  # Discord no longer takes it
    DiscordLink.objects.filter(user=user).update(expires_at=utc_now() - timedelta(minutes=1), pushed_metadata=None)
    handle_event(event_for(user, "league_changed", **{"from": "bronze", "to": "silver", "mode": "reality"}))
    run_pending_jobs()
    refreshes = [
        r for r in discord.requests_to("POST", "/api/oauth2/token") if r.body.get("grant_type") == "refresh_token"
    ]
    assert len(refreshes) == 1
    found = DiscordLink.objects.get(user=user)
    new = crypto.decrypt(found.access_token_encrypted)
    assert new != old
    assert found.expires_at > utc_now() + timedelta(days=6)
    assert discord.requests_to("PUT", ROLE_PATH)[-1].headers["Authorization"] == f"Bearer {new}"


def test_a_refused_access_token_is_refreshed_on_the_retry(discord, alice):
    discord.fail_next(ROLE_PATH, 401, {"message": "401: Unauthorized", "code": 0})
    link_through_discord(discord)
    run_pending_jobs()
    job = ProcrastinateJob.objects.get(task_name="community.tasks.push_role_connection")
    assert job.status == "todo"
    ProcrastinateJob.objects.filter(pk=job.pk).update(scheduled_at=utc_now())
    run_pending_jobs()
    pushes = discord.requests_to("PUT", ROLE_PATH)
    assert len(pushes) == 2
    assert pushes[0].headers["Authorization"] != pushes[1].headers["Authorization"]
    assert DiscordLink.objects.get().pushed_at is not None


def test_a_revoked_refresh_token_marks_the_link_revoked(discord, alice):
    link_through_discord(discord)
    run_pending_jobs()
    discord.refresh_tokens.clear()  # the player removed the app in Discord
    found = DiscordLink.objects.get()
    DiscordLink.objects.filter(pk=found.pk).update(expires_at=utc_now(), pushed_metadata=None)
    handle_event(event_for(found.user, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    assert DiscordLink.objects.get().revoked_at is not None
    assert len(discord.requests_to("PUT", ROLE_PATH)) == 1


def test_a_forged_state_is_refused_and_stores_nothing(discord, alice, settings):
    client = APIClient()
    client.get("/api/v1/discord/linked-roles/")
    response = client.get("/api/v1/discord/linked-roles/callback/?code=abc&state=forged")
    assert response["Location"] == f"{settings.FRONTEND_URL}/?discord_linked_roles_error=invalid_state"
    fresh = APIClient().get("/api/v1/discord/linked-roles/callback/?code=abc&state=x")
    assert "invalid_state" in fresh["Location"]
    assert not DiscordLink.objects.exists()
    assert not discord.requests_to("POST", "/api/oauth2/token")


def test_a_state_works_once(discord, alice):
    client = APIClient()
    client.get("/api/v1/discord/linked-roles/")
    state = client.session["discord_linked_roles"]["state"]
    code = discord.issue_code(ALICE, "http://testserver/api/v1/discord/linked-roles/callback/")
    first = client.get(f"/api/v1/discord/linked-roles/callback/?code={code}&state={state}")
    assert first["Location"].endswith("discord_linked_roles=connected")
    again = client.get(f"/api/v1/discord/linked-roles/callback/?code={code}&state={state}")
    assert again["Location"].endswith("discord_linked_roles_error=invalid_state")


def test_declined_consent_and_discord_down(discord, alice):
    client = APIClient()
    client.get("/api/v1/discord/linked-roles/")
    state = client.session["discord_linked_roles"]["state"]
    declined = client.get(f"/api/v1/discord/linked-roles/callback/?error=access_denied&state={state}")
    assert declined["Location"].endswith("discord_linked_roles_error=access_denied")

    client.get("/api/v1/discord/linked-roles/")
    state = client.session["discord_linked_roles"]["state"]
    discord.fail_next("/api/oauth2/token", 503, {"message": "down"})
    down = client.get(f"/api/v1/discord/linked-roles/callback/?code=abc&state={state}")
    assert down["Location"].endswith("discord_linked_roles_error=discord_unavailable")

    client.get("/api/v1/discord/linked-roles/")
    state = client.session["discord_linked_roles"]["state"]
    bad = client.get(f"/api/v1/discord/linked-roles/callback/?code=wrong&state={state}")
    assert bad["Location"].endswith("discord_linked_roles_error=discord_code_invalid")
    assert not DiscordLink.objects.exists()


def test_a_disabled_account_is_not_linked(discord, alice):
    CustomUser.objects.create_user(username="alice-old", discord_id=ALICE, is_active=False)
    _, done = link_through_discord(discord)
    assert done["Location"].endswith("discord_linked_roles_error=account_disabled")
    assert not DiscordLink.objects.exists()


# Without FIELD_ENCRYPTION_KEY development derives a key from the secret key (ultrabackend/crypto.py);
# production refuses to start instead (test below).
@pytest.mark.parametrize("change", ["disabled", "bad_key", "no_secret"])
def test_not_configured_is_a_503_feature_not_configured(discord, settings, change):
    if change == "disabled":
        settings.DISCORD_LINKED_ROLES_ENABLED = False
    elif change == "bad_key":
        settings.FIELD_ENCRYPTION_KEY = ["not-a-fernet-key"]
    else:
        settings.DISCORD_CLIENT_SECRET = ""
    response = APIClient().get("/api/v1/discord/linked-roles/")
    assert response.status_code == 503
    assert response.json()["code"] == "feature_not_configured"
    assert response.json()["feature"] == "discord_linked_roles"


def test_keys_rotate(discord, alice, settings):
    link_through_discord(discord)
    old_key = settings.FIELD_ENCRYPTION_KEY[0]
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, old_key]
    call_command("discord_rotate_key")
    settings.FIELD_ENCRYPTION_KEY = [new_key]
    found = DiscordLink.objects.get()
    assert crypto.decrypt(found.access_token_encrypted) in discord.tokens


def test_production_refuses_to_start_with_linked_roles_and_no_key():
    with pytest.raises(ImproperlyConfigured):
        check_keys([])
    with pytest.raises(ImproperlyConfigured):
        check_keys(["short"])
    env = {
        "DJANGO_SETTINGS_MODULE": "ultrabackend.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
        "DISCORD_LINKED_ROLES_ENABLED": "True",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",  # check does not connect
        "PATH": "/usr/bin:/bin",
    }
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode != 0
    assert "FIELD_ENCRYPTION_KEY" in refused.stderr
    started = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**env, "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode == 0, started.stderr


# --- issue 22, point 4: bound to the browser and the player who started --------------------------


def _signed_in(user: CustomUser) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_a_player_who_signed_out_before_returning_links_nothing(discord, alice, settings):
    player = CustomUser.objects.create_user(username="alice-here", discord_id=ALICE)
    client = _signed_in(player)
    start = client.get("/api/v1/discord/linked-roles/")
    back = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.logout()  # the same browser, signed out meanwhile (its session state is gone too)
    client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie
    done = client.get(f"{back.path}?{back.query}")
    assert "discord_linked_roles_error=" in done["Location"]
    assert not DiscordLink.objects.exists()


def test_a_signed_in_player_consenting_with_another_discord_account_links_nobody(discord, alice, settings):
    player = CustomUser.objects.create_user(username="bob-here", discord_id="222222222222222222")
    _, done = link_through_discord(discord, _signed_in(player))  # consents as ALICE at Discord
    assert done["Location"] == f"{settings.FRONTEND_URL}/?discord_linked_roles_error=account_mismatch"
    assert not DiscordLink.objects.exists()
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()


def test_a_signed_in_player_consenting_as_themself_is_linked(discord, alice, settings):
    player = CustomUser.objects.create_user(username="alice-here", discord_id=ALICE)
    _, done = link_through_discord(discord, _signed_in(player))
    assert done["Location"] == f"{settings.FRONTEND_URL}/?discord_linked_roles=connected"
    assert DiscordLink.objects.get().user == player
