"""The signed-in board page's lean path (api/v1/seasons/lean_board.py): the full view's answer,
headers included, from one Redis script and one SQL statement, and a session that no longer
holds (logout, deactivation, password change) refused at once though this process remembers it."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from api import session_players
from core.utils.dates import season_id_for, utc_now
from seasons.models import RankIndexRepair
from tests.round_trips import RoundTrips
from tests.seasons.helpers import award_at
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import UserProfile

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

REALITY, CYBER = "/api/v1/seasons/reality/", "/api/v1/seasons/cyber/"


@pytest.fixture
def players(redis_server) -> list[CustomUser]:
    players = [PlayerFactory(username=f"p{i:02d}", display_name=f"Player {i}") for i in range(12)]
    UserProfile.objects.filter(user__in=players[:4]).update(reality_league="gold")
    for i, user in enumerate(players):
        award_at(user, 10 + 3 * (i % 7), utc_now())  # ties
        award_at(user, 1 + i, utc_now(), mode="cyber")
    return players


@pytest.fixture
def viewer(players) -> APIClient:
    client = APIClient()
    client.force_login(players[5])
    assert client.get(REALITY).status_code == 200  # this process verifies and remembers the session
    return client


def full_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.v1.seasons.views.lean_board_answer", lambda request, mode: None)


def answer(response: Any) -> tuple[int, dict[str, str], bytes]:
    headers = dict(response.headers)
    assert headers.pop("X-Request-ID")  # every answer has its own
    return response.status_code, headers, response.content


@pytest.mark.parametrize(
    ("path", "params", "headers"),
    [
        (REALITY, {}, {}),
        (REALITY, {"page_size": 2, "page": 3}, {}),
        (REALITY, {"league": "bronze", "page_size": 2}, {}),
        (REALITY, {"season": season_id_for(utc_now()), "page": 2, "page_size": 5}, {}),
        (CYBER, {"page_size": 4}, {"HTTP_ACCEPT_LANGUAGE": "de"}),
    ],
)
def test_the_lean_page_is_the_full_views_page(viewer, monkeypatch, path, params, headers):
    trips = RoundTrips(monkeypatch)
    lean = answer(viewer.get(path, params, **headers))
    assert trips.sql == ["WITH"] and trips.redis == 1  # answered by the lean path
    with pytest.MonkeyPatch.context() as patch:
        full_view(patch)
        full = answer(viewer.get(path, params, **headers))
    assert lean == full
    assert lean[0] == 200 and b'"me":{' in lean[2]


def test_a_page_past_the_end_is_the_full_views_404(viewer, monkeypatch):
    lean = answer(viewer.get(REALITY, {"page": 40}))
    with pytest.MonkeyPatch.context() as patch:
        full_view(patch)
        full = answer(viewer.get(REALITY, {"page": 40}))
    assert lean == full and lean[0] == 404 and b'"code":"page_not_found"' in lean[2]


@pytest.mark.parametrize(
    "params",
    [{"page": "0"}, {"page_size": "x"}, {"league": "wood"}, {"season": "2020-01"}, {"format": "json"}],
)
def test_other_parameters_are_the_full_views(viewer, monkeypatch, params):
    lean = answer(viewer.get(REALITY, params))
    with pytest.MonkeyPatch.context() as patch:
        full_view(patch)
        full = answer(viewer.get(REALITY, params))
    assert lean == full


def logged_out(client: APIClient) -> None:
    """What logout does to the session (its row and its cached copy go); the browser keeps
    sending the old cookie."""
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    SessionStore(session_key=client.cookies["sessionid"].value).delete()


def deactivated(client: APIClient) -> None:
    CustomUser.objects.filter(username="p05").update(is_active=False)  # no signal, no save()


def password_changed(client: APIClient) -> None:
    user = CustomUser.objects.get(username="p05")
    user.set_password("a new one")
    CustomUser.objects.filter(pk=user.pk).update(password=user.password)


@pytest.mark.parametrize("revoke", [logged_out, deactivated, password_changed])
def test_a_session_that_no_longer_holds_is_refused_at_once_though_this_process_remembers_it(viewer, revoke):
    assert viewer.get(REALITY).json()["me"] is not None
    revoke(viewer)
    body = viewer.get(REALITY).json()
    assert body["me"] is None  # signed out, as the full view sees it
    assert body["results"]


def test_a_pending_repair_answers_from_the_database(viewer, players, monkeypatch):
    RankIndexRepair.objects.create(season_id=season_id_for(utc_now()), mode="reality")
    trips = RoundTrips(monkeypatch)
    with_repair = answer(viewer.get(REALITY, {"page_size": 3}))
    assert len(trips.sql) > 1  # the database path
    with pytest.MonkeyPatch.context() as patch:
        full_view(patch)
        assert answer(viewer.get(REALITY, {"page_size": 3})) == with_repair


def test_a_session_this_process_has_not_verified_is_verified_the_usual_way_first(players, monkeypatch):
    session_players.forget_all()
    client = APIClient()
    client.force_login(players[2])
    trips = RoundTrips(monkeypatch)
    client.get(REALITY)
    assert trips.sql == ["SELECT", "SELECT"]  # the user row, then the shown players
    trips.reset()
    client.get(REALITY)
    assert trips.sql == ["WITH"]
