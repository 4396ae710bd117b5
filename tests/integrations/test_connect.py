"""Connecting and disconnecting Strava, over HTTP, against the stand-in Strava."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from rest_framework.test import APIClient

from core.services.accounts import tokens
from core.utils.dates import utc_now
from integrations import client as strava_client
from integrations.models import StravaConnection
from ultrabackend import crypto
from users.tests.factories import PlayerFactory

from .conftest import CLIENT_ID, FakeStrava, connect

pytestmark = pytest.mark.django_db


def test_connect_redirects_to_strava_authorize_with_read_all_scope(strava: FakeStrava, player_client: APIClient):
    answer = player_client.get("/api/v1/integrations/strava/connect/")
    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{strava.base}/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["client_id"] == CLIENT_ID
    assert query["response_type"] == "code"
    assert query["scope"] == "activity:read_all"
    assert query["redirect_uri"] == "http://testserver/api/v1/integrations/strava/callback/"
    assert len(query["state"]) > 20


def test_connect_links_the_athlete_with_encrypted_tokens_and_the_profile_shows_it(
    strava: FakeStrava, player, player_client: APIClient
):
    before = player_client.get("/api/v1/user/profile/").json()
    assert before["integrations"] == {"strava": {"connected": False, "athlete_id": None}}

    answer = connect(player_client, strava, 5001)

    assert answer.status_code == 200
    assert answer.json()["connected"] is True
    assert answer.json()["athlete_id"] == 5001
    connection = StravaConnection.objects.get(user=player)
    issued = {token for token, (owner, _) in strava.tokens.items() if owner == 5001}
    assert connection.access_token in issued
    # At rest only ciphertext: the raw column does not contain the token.
    assert connection.access_token not in connection.access_token_encrypted
    assert connection.refresh_token not in connection.refresh_token_encrypted
    assert crypto.decrypt(connection.access_token_encrypted) == connection.access_token
    assert "activity:read_all" in connection.scope
    profile = player_client.get("/api/v1/user/profile/").json()
    assert profile["integrations"] == {"strava": {"connected": True, "athlete_id": 5001}}
    assert profile["xp"]["total"] == 0  # nothing else renamed or dropped


def test_a_mobile_app_connects_with_a_bearer_token(strava: FakeStrava, player):
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(player)['access']}")
    answer = connect(app, strava, 5002)
    assert answer.status_code == 200
    assert StravaConnection.objects.get(athlete_id=5002).user == player


def test_connect_needs_a_signed_in_player(strava: FakeStrava, api_client: APIClient):
    answer = api_client.get("/api/v1/integrations/strava/connect/")
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"


def test_connect_without_strava_credentials_is_503(strava: FakeStrava, player_client: APIClient, settings):
    settings.STRAVA_CLIENT_SECRET = ""
    answer = player_client.get("/api/v1/integrations/strava/connect/")
    assert answer.status_code == 503
    assert answer.json()["code"] == "feature_not_configured"


def test_an_athlete_linked_to_another_player_is_a_conflict(strava: FakeStrava, player_client: APIClient):
    assert connect(player_client, strava, 5001).status_code == 200
    other = APIClient()
    other.force_login(PlayerFactory())
    answer = connect(other, strava, 5001)
    assert answer.status_code == 409
    assert answer.json()["code"] == "strava_athlete_taken"
    assert StravaConnection.objects.filter(athlete_id=5001).count() == 1


def test_connecting_again_refreshes_tokens_and_another_athlete_replaces_the_link(
    strava: FakeStrava, player, player_client: APIClient
):
    connect(player_client, strava, 5001)
    first = StravaConnection.objects.get(user=player)
    connect(player_client, strava, 5001)
    again = StravaConnection.objects.get(user=player)
    assert again.pk == first.pk and again.connected_at == first.connected_at
    assert again.access_token != first.access_token
    connect(player_client, strava, 5003)
    assert list(StravaConnection.objects.filter(user=player).values_list("athlete_id", flat=True)) == [5003]


def _callback_url(client: APIClient, strava: FakeStrava, athlete_id: int) -> str:
    strava.add_athlete(athlete_id)
    strava.current_athlete = athlete_id
    start = client.get("/api/v1/integrations/strava/connect/")
    back = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    return f"{back.path}?{back.query}"


def test_a_state_works_once_and_a_forged_state_links_nothing(strava: FakeStrava, player_client: APIClient):
    url = _callback_url(player_client, strava, 5001)
    forged = url.replace("state=", "state=x")
    answer = APIClient().get(forged)
    assert answer.status_code == 400
    assert answer.json()["code"] == "strava_invalid_state"
    assert player_client.get(url).status_code == 200
    replay = player_client.get(url)
    assert replay.status_code == 400
    assert replay.json()["code"] == "strava_invalid_state"


def test_the_state_is_bound_to_the_player_who_started(strava: FakeStrava, player_client: APIClient):
    url = _callback_url(player_client, strava, 5001)
    intruder = APIClient()
    intruder.force_login(PlayerFactory())
    answer = intruder.get(url)
    assert answer.status_code == 400
    assert answer.json()["code"] == "strava_invalid_state"
    assert not StravaConnection.objects.exists()


def test_callback_refusals_are_coded_4xx(strava: FakeStrava, player_client: APIClient):
    strava.granted_scope = "read"  # the athlete unticked "view private activities"
    answer = connect(player_client, strava, 5001)
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_scope_missing")

    strava.granted_scope = "read,activity:read_all"
    strava.current_athlete = None
    start = player_client.get("/api/v1/integrations/strava/connect/")
    back = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    denied = player_client.get(f"{back.path}?{back.query}")
    assert (denied.status_code, denied.json()["code"]) == (400, "strava_access_denied")

    url = _callback_url(player_client, strava, 5001)
    strava.codes.clear()  # the code expired at Strava
    bad_code = player_client.get(url)
    assert (bad_code.status_code, bad_code.json()["code"]) == (400, "strava_code_invalid")
    assert not StravaConnection.objects.exists()


def test_strava_down_during_the_code_exchange_is_a_coded_5xx(strava: FakeStrava, player_client: APIClient, settings):
    url = _callback_url(player_client, strava, 5001)
    strava.fail("token-5xx")
    answer = player_client.get(url)
    assert (answer.status_code, answer.json()["code"]) == (503, "strava_unavailable")
    assert answer["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)

    url = _callback_url(player_client, strava, 5001)
    settings.STRAVA_OAUTH_URL = "http://127.0.0.1:9/oauth"  # nothing listens there
    unreachable = player_client.get(url)
    assert (unreachable.status_code, unreachable.json()["code"]) == (503, "strava_unavailable")
    assert int(unreachable["Retry-After"]) > 0
    assert not StravaConnection.objects.exists()


def test_strava_rate_limit_at_the_code_exchange_says_when_its_window_resets(
    strava: FakeStrava, player_client: APIClient
):
    url = _callback_url(player_client, strava, 5001)
    strava.fail("token-429")
    before = datetime.now(UTC)
    answer = player_client.get(url)
    assert (answer.status_code, answer.json()["code"]) == (503, "strava_rate_limited")
    # Strava's short window resets at the next quarter hour: :00, :15, :30 or :45 UTC.
    reset = before.replace(minute=before.minute - before.minute % 15, second=0, microsecond=0) + timedelta(minutes=15)
    expected = (reset - before).total_seconds()
    assert abs(int(answer["Retry-After"]) - expected) <= 2
    assert not StravaConnection.objects.exists()


def test_connect_with_next_lands_on_the_frontend(strava: FakeStrava, player_client: APIClient, settings):
    answer = connect(player_client, strava, 5001, next="/settings")
    assert answer.status_code == 302
    assert answer["Location"] == f"{settings.FRONTEND_URL}/settings?strava=connected"
    other = APIClient()
    other.force_login(PlayerFactory())
    taken = connect(other, strava, 5001, next="/settings")
    assert taken["Location"] == f"{settings.FRONTEND_URL}/settings?strava_error=strava_athlete_taken"
    refused = player_client.get("/api/v1/integrations/strava/connect/", {"next": "https://evil.example/"})
    assert (refused.status_code, refused.json()["code"]) == (400, "invalid_next")


def test_disconnect_deauthorizes_at_strava_and_forgets_the_tokens(strava: FakeStrava, player, player_client: APIClient):
    connect(player_client, strava, 5001)
    answer = player_client.delete("/api/v1/integrations/strava/")
    assert answer.status_code == 204
    assert not StravaConnection.objects.filter(user=player).exists()
    assert not any(owner == 5001 for owner, _ in strava.tokens.values())  # Strava was told
    assert player_client.get("/api/v1/user/profile/").json()["integrations"]["strava"]["connected"] is False
    again = player_client.delete("/api/v1/integrations/strava/")
    assert (again.status_code, again.json()["code"]) == (404, "strava_not_connected")


def test_disconnect_forgets_the_tokens_even_when_strava_is_down(
    strava: FakeStrava, player, player_client: APIClient, settings
):
    connect(player_client, strava, 5001)
    settings.STRAVA_API_URL = "http://127.0.0.1:9/api/v3"
    assert player_client.delete("/api/v1/integrations/strava/").status_code == 204
    assert not StravaConnection.objects.exists()


def test_disconnect_with_a_session_needs_the_csrf_token(strava: FakeStrava, player):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(player)
    answer = browser.delete("/api/v1/integrations/strava/")
    assert answer.status_code == 403
    assert answer.json()["code"] == "csrf_failed"


def test_the_export_shows_the_strava_link_and_erasure_forgets_it(
    strava: FakeStrava, player, player_client: APIClient, django_capture_on_commit_callbacks
):
    connect(player_client, strava, 5001)
    export = player_client.get("/api/v1/user/export/").json()
    assert export["strava"]["connection"]["athlete_id"] == 5001
    assert "token" not in str(export["strava"]).lower()

    ask = player_client.delete("/api/v1/user/", {}, format="json")
    assert ask.status_code == 409
    with django_capture_on_commit_callbacks(execute=True):
        erased = player_client.delete(
            "/api/v1/user/", {"confirmation_token": ask.json()["confirmation_token"]}, format="json"
        )
    assert erased.status_code == 204
    assert not StravaConnection.objects.exists()
    assert not any(owner == 5001 for owner, _ in strava.tokens.values())  # Strava was told after commit


def test_connecting_works_while_the_api_rate_limit_is_used_up(strava: FakeStrava, player_client: APIClient):
    strava_client.block_until(utc_now() + timedelta(minutes=10))  # OAuth is outside the API limits
    try:
        assert connect(player_client, strava, 5001).status_code == 200
    finally:
        strava_client.forget_rate_limit_block()
