"""Issue 22, point 4: a Strava connection is bound to the browser that started it and to the
player signed in there, so a consent URL sent to someone else links nothing; a forged
deauthorization event drops no link while Strava still accepts the athlete's token."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection as db
from rest_framework.test import APIClient

from core.services.accounts import tokens
from integrations.models import StravaConnection
from tests.jobs import run_pending_jobs
from users.tests.factories import PlayerFactory

from .conftest import FakeStrava, connect, event

pytestmark = pytest.mark.django_db(transaction=True)
CONNECT = "/api/v1/integrations/strava/connect/"


@pytest.fixture(autouse=True)
def _empty_queue() -> None:
    with db.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


def consent_url(client: APIClient, strava: FakeStrava, victim_athlete: int) -> str:
    """The attacker starts a connection and hands the Strava consent URL to the victim, who
    approves it at Strava (as victim_athlete): where Strava sends the victim's browser back."""
    start = client.get(CONNECT)
    assert start.status_code == 302
    strava.add_athlete(victim_athlete)
    strava.current_athlete = victim_athlete
    back = urlsplit(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    return f"{back.path}?{back.query}"


def test_a_consent_url_sent_to_a_victim_does_not_link_the_victims_athlete(strava: FakeStrava, player, player_client):
    url = consent_url(player_client, strava, 6001)
    victim_browser = APIClient()  # not signed in here, no cookie of the attacker's
    answer = victim_browser.get(url)
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_invalid_state")
    assert not StravaConnection.objects.exists()
    victim = APIClient()
    victim.force_login(PlayerFactory())
    assert connect(victim, strava, 6001).status_code == 200  # the victim can still link their own
    assert StravaConnection.objects.get(athlete_id=6001).user_id != player.pk


def test_the_victim_signed_in_as_themself_links_nothing_either(strava: FakeStrava, player_client):
    url = consent_url(player_client, strava, 6001)
    victim = APIClient()
    victim.force_login(PlayerFactory())
    answer = victim.get(url)
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_invalid_state")
    assert not StravaConnection.objects.exists()


def test_the_starting_browser_must_still_be_signed_in_as_the_starting_player(strava: FakeStrava, player_client):
    url = consent_url(player_client, strava, 6001)
    player_client.logout()  # the same browser, signed out meanwhile
    answer = player_client.get(url)
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_invalid_state")
    assert not StravaConnection.objects.exists()


def test_the_same_session_with_another_player_links_nothing(strava: FakeStrava, player):
    """The state is bound to the player as well as to the session (api/oauth_state.py)."""
    app = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(player)['access']}")
    url = consent_url(app, strava, 6001)
    app.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(PlayerFactory())['access']}")
    answer = app.get(url)  # the same session cookie, another player's token
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_invalid_state")
    assert not StravaConnection.objects.exists()


def test_the_starting_browser_signed_in_links_and_the_state_is_used_up(strava: FakeStrava, player, player_client):
    answer = connect(player_client, strava, 6001)
    assert answer.status_code == 200, answer.content
    assert StravaConnection.objects.get(athlete_id=6001).user_id == player.pk
    assert "strava_connect" not in player_client.session  # a state works once


def test_an_app_that_calls_the_callback_itself_with_its_token_and_cookie_links(strava: FakeStrava, player):
    app = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(player)['access']}")
    assert connect(app, strava, 6002).status_code == 200
    assert StravaConnection.objects.get(athlete_id=6002).user_id == player.pk


def test_a_forged_deauthorization_drops_no_link(strava: FakeStrava, connected: int, player):
    webhook = "/api/v1/integrations/strava/webhook/"
    forged = APIClient().post(
        webhook, event("update", connected, connected, object_type="athlete", authorized="false"), format="json"
    )
    assert forged.status_code == 200
    run_pending_jobs()
    assert StravaConnection.objects.filter(athlete_id=connected, user=player).exists()  # Strava still accepts the token
    strava.revoke(connected)  # now the athlete really removes the app
    APIClient().post(
        webhook, event("update", connected, connected, object_type="athlete", authorized="false"), format="json"
    )
    run_pending_jobs()
    assert not StravaConnection.objects.filter(athlete_id=connected).exists()
