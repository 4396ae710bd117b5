"""The xp/add hot path (api/v1/xp/hot_path.py): one SQL statement and one Redis round trip for a
signed-in player in steady state, the same answer as the full view, and every check (session,
account, password, activity rules, write quota) still made, inside the statement itself."""

from __future__ import annotations

import json
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from api import session_players
from api.v1.xp import hot_path
from api.v1.xp.serializers import AddXPInputSerializer
from core.services.accounts import tokens
from seasons.models import RankIndexRepair
from tests.concurrency import run_at_once
from tests.round_trips import RoundTrips
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, UserProfile, XPEntry

ADD = "/api/v1/xp/add/"
BODY = {"activity": "pushups", "units": 10}


def session_client(user: CustomUser) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def token_client(user: CustomUser) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens.issue_pair(user)['access']}")


def forced_full_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("api.v1.xp.views.lean_answer", lambda request: None)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make_client", [session_client, token_client], ids=["session", "app token"])
def test_a_signed_in_xp_add_is_one_sql_statement_and_one_redis_round_trip(make_client, redis_server, monkeypatch):
    trips = RoundTrips(monkeypatch)
    player = PlayerFactory()
    client = make_client(player)
    assert client.post(ADD, BODY, format="json").status_code == 201  # this process learns the session
    for units in (1, 2, 3):
        trips.reset()
        response = client.post(ADD, {**BODY, "units": units}, format="json")
        assert response.status_code == 201, response.content
        assert trips.sql == ["WITH"]  # the checked write; no session, user, activity or health query
        assert trips.redis == 1
    body = response.json()
    per_unit = ActivityType.objects.get(key="pushups").xp_per_unit
    assert body["profile"]["xp"]["total"] == UserProfile.objects.get(user=player).total_xp == (10 + 6) * per_unit
    assert body["profile"]["season"]["reality"]["rank"] == 1  # ranked from the index in the same trip


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("make_client", [session_client, token_client], ids=["session", "app token"])
def test_the_lean_answer_is_the_full_views_answer(make_client, redis_server, monkeypatch, settings):
    """Two players with the same history: one answered by the lean path, one by the full view.
    Same status, same headers (values too, but the quota's seconds), same document."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "player_write": "50/min"},
    }
    # A line separator: DRF escapes it for JavaScript, so must the lean path (shown names are unique).
    lean_player, full_player = (
        PlayerFactory(display_name="Lean\u2028Name"),
        PlayerFactory(display_name="Full\u2028Name"),
    )
    lean, full = make_client(lean_player), make_client(full_player)
    steps = [
        ({"activity": "running", "units": "5.3", "note": "first"}, {}),  # level up and layer up
        ({"activity": "coding", "units": 2, "mode": "cyber"}, {"HTTP_ACCEPT_LANGUAGE": "de"}),
        ({"activity": "pushups", "units": 12.5}, {"HTTP_IDEMPOTENCY_KEY": "step-3"}),
    ]
    for body, headers in steps:
        lean_answer = lean.post(ADD, body, format="json", **headers)
        with pytest.MonkeyPatch.context() as patch:
            forced_full_view(patch)
            full_answer = full.post(ADD, body, format="json", **headers)
        assert lean_answer.status_code == full_answer.status_code == 201
        assert normalized_headers(lean_answer) == normalized_headers(full_answer)
        assert b"\\u2028" in lean_answer.content and "\u2028".encode() not in lean_answer.content
        assert normalized(lean_answer.json(), lean_player) == normalized(full_answer.json(), full_player)
    assert [e.source for e in XPEntry.objects.filter(user=lean_player)] == [
        e.source for e in XPEntry.objects.filter(user=full_player)
    ]


def normalized_headers(response: Any) -> dict[str, str]:
    headers = dict(response.headers)
    headers.pop("Content-Length")  # ids and timestamps differ in length
    assert headers.pop("X-Request-ID")  # every answer has its own
    headers["RateLimit"] = headers["RateLimit"].split(";t=")[0]
    return headers


def normalized(document: dict[str, Any], player: CustomUser) -> dict[str, Any]:
    document["entry"].pop("id")
    document["entry"].pop("created_at")
    assert document["profile"].pop("id") == player.pk
    assert document["profile"].pop("username") == player.username
    assert document["profile"].pop("display_name") == player.display_name
    return document


def expire_soon(client: APIClient) -> None:
    session = client.session
    session.set_expiry(1)
    session.save()
    time.sleep(1.5)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "revoke",
    [
        pytest.param(lambda client, user: client.post("/api/v1/auth/logout/"), id="logout"),
        pytest.param(
            lambda client, user: CustomUser.objects.filter(pk=user.pk).update(is_active=False), id="deactivated"
        ),
        pytest.param(lambda client, user: (user.set_password("new-password-123"), user.save()), id="password changed"),
        pytest.param(lambda client, user: expire_soon(client), id="expired"),
    ],
)
def test_a_revoked_session_is_refused_at_once_though_this_process_remembers_it(revoke, redis_server):
    player = PlayerFactory()
    client = session_client(player)
    assert client.post(ADD, BODY, format="json").status_code == 201
    key = client.cookies["sessionid"].value
    assert session_players.recall(key) is not None  # remembered by this process
    revoke(client, player)
    client.cookies["sessionid"] = key  # the same cookie again (a logout also clears it)
    refused = client.post(ADD, BODY, format="json")
    assert refused.status_code in (401, 403), refused.content
    assert XPEntry.objects.filter(user=player).count() == 1
    assert session_players.recall(key) is None  # forgotten when the statement refused it


@pytest.mark.django_db(transaction=True)
def test_a_deactivated_app_token_holder_is_refused_at_once():
    player = PlayerFactory()
    client = token_client(player)
    assert client.post(ADD, BODY, format="json").status_code == 201
    CustomUser.objects.filter(pk=player.pk).update(is_active=False)
    refused = client.post(ADD, BODY, format="json")
    assert refused.status_code == 401 and refused.json()["code"] == "token_revoked"
    assert XPEntry.objects.filter(user=player).count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_activity_changed_by_an_admin_applies_at_once_though_this_process_holds_the_old_one():
    client = session_client(PlayerFactory())
    per_unit = ActivityType.objects.get(key="pushups").xp_per_unit
    assert client.post(ADD, {"activity": "pushups", "units": 10}, format="json").json()["awarded_xp"] == 10 * per_unit
    ActivityType.objects.filter(key="pushups").update(xp_per_unit=per_unit + 3)  # no signal, no save()
    answer = client.post(ADD, {"activity": "pushups", "units": 10}, format="json").json()
    assert answer["awarded_xp"] == 10 * (per_unit + 3)
    ActivityType.objects.filter(key="pushups").update(max_units_per_entry=Decimal("5"))
    refused = client.post(ADD, {"activity": "pushups", "units": 10}, format="json")
    assert refused.json()["code"] == "units_over_entry_max"
    ActivityType.objects.filter(key="pushups").update(is_active=False)
    refused = client.post(ADD, {"activity": "pushups", "units": 1}, format="json")
    assert refused.json()["code"] == "inactive_activity"


@pytest.mark.django_db(transaction=True)
def test_csrf_is_enforced_for_a_session_on_the_lean_path_too():
    player = PlayerFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(player)
    refused = client.post(ADD, BODY, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    token = client.get("/api/v1/auth/csrf/").cookies["csrftoken"].value
    assert client.post(ADD, BODY, format="json", HTTP_X_CSRFTOKEN=token).status_code == 201
    refused = client.post(ADD, BODY, format="json", HTTP_X_CSRFTOKEN="x" * 32)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert XPEntry.objects.filter(user=player).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_write_quota_is_exact_under_parallel_requests(settings):
    """20 writes a minute; 8 threads x 6 requests of one player at once: exactly 20 are written,
    the rest are 429 with Retry-After, and the ledger holds exactly the 20."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "player_write": "20/min"},
    }
    player = PlayerFactory()
    clients = [session_client(player) for _ in range(8)]

    def worker(i: int) -> list[int]:
        answers = [clients[i].post(ADD, BODY, format="json") for _ in range(6)]
        assert all(a.has_header("Retry-After") for a in answers if a.status_code == 429)
        return [a.status_code for a in answers]

    statuses = Counter(s for answers in run_at_once(worker, 8) for s in answers)
    assert statuses == {201: 20, 429: 28}
    assert XPEntry.objects.filter(user=player).count() == 20
    profile = UserProfile.objects.get(user=player)
    per_unit = ActivityType.objects.get(key="pushups").xp_per_unit
    assert profile.total_xp == XPEntry.objects.filter(user=player).aggregate(t=Sum("xp"))["t"] == 20 * 10 * per_unit
    assert profile.write_count == 48  # every request counted, refused ones too


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_with_redis_away_the_lean_path_ranks_from_the_database_and_records_the_lost_write(redis_server, settings):
    client = session_client(PlayerFactory())
    assert client.post(ADD, BODY, format="json").status_code == 201
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    answer = client.post(ADD, BODY, format="json")
    assert answer.status_code == 201
    assert answer.json()["profile"]["season"]["reality"]["rank"] == 1
    assert RankIndexRepair.objects.filter(mode="reality").exists()


BODIES = [
    {"activity": "pushups", "units": 10},
    {"activity": "pushups", "units": "1.5"},
    {"activity": "pushups", "units": 1.25, "note": "  padded  "},
    {"activity": "pushups", "units": 1e2},
    {"activity": "pushups", "units": "1e2"},
    {"activity": "pushups", "units": 1.005},
    {"activity": "pushups", "units": 12345678901.5},
    {"activity": "pushups", "units": True},
    {"activity": "pushups", "units": None},
    {"activity": "pushups", "units": []},
    {"activity": "pushups"},
    {"units": 1},
    {"activity": "pushups ", "units": 1},
    {"activity": "push\nups", "units": 1},
    {"activity": "p" * 51, "units": 1},
    {"activity": 5, "units": 1},
    {"activity": "pushups", "units": 1, "mode": "reality"},
    {"activity": "pushups", "units": 1, "mode": None},
    {"activity": "pushups", "units": 1, "mode": "astral"},
    {"activity": "pushups", "units": 1, "note": None},
    {"activity": "pushups", "units": 1, "note": 5},
    {"activity": "pushups", "units": 1, "note": "x" * 501},
    {"activity": "pushups", "units": 1, "note": "nul\x00"},
    {"activity": "pushups", "units": 1, "discord_id": "1"},
    {"activity": "pushups", "units": 1, "xp": 1000},
    [],
    "pushups",
]


@pytest.mark.parametrize("body", BODIES)
def test_the_lean_path_accepts_exactly_the_bodies_the_serializer_accepts_with_the_same_values(body, rf):
    request = rf.post(ADD, json.dumps(body), content_type="application/json")
    lean = hot_path._body(request)
    serializer = AddXPInputSerializer(data=body)
    valid = isinstance(body, dict) and serializer.is_valid() and "discord_id" not in body
    # Stricter is allowed (the full view then answers): a number where a string is expected.
    left_to_full_view = isinstance(body, dict) and any(
        not isinstance(body.get(k, ""), str) for k in ("activity", "note")
    )
    assert (lean is not None) == (valid and not left_to_full_view)
    if lean is not None:
        values = serializer.validated_data
        assert lean == (values["activity"], values["units"], values["note"], values.get("mode"))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "meta",
    [
        {"CONTENT_TYPE": "text/plain"},
        {"CONTENT_TYPE": "application/json; charset=latin-1"},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_ACCEPT": "application/json; indent=4"},
        {"HTTP_AUTHORIZATION": "Api-Key abc"},
        {"HTTP_AUTHORIZATION": "Bearer not-a-token"},
        {"HTTP_IDEMPOTENCY_KEY": "has space"},
        {"HTTP_IDEMPOTENCY_KEY": ""},
    ],
)
def test_unusual_requests_are_left_to_the_full_view(meta, rf):
    player = PlayerFactory()
    signed_in = {"HTTP_AUTHORIZATION": f"Bearer {tokens.issue_pair(player)['access']}"}
    content = b'{"activity": "pushups", "units": 1}'
    assert hot_path.lean_answer(rf.post(ADD, content, content_type="application/json", **signed_in)).status_code == 201
    meta = {"CONTENT_TYPE": "application/json", **signed_in, **meta}
    assert hot_path.lean_answer(rf.post(ADD, content, content_type=meta.pop("CONTENT_TYPE"), **meta)) is None


@pytest.mark.django_db(transaction=True)
def test_without_a_player_write_rate_the_lean_path_writes_and_tells_no_quota(settings):
    rates = {k: v for k, v in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].items() if k != "player_write"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    player = PlayerFactory()
    client = session_client(player)
    answers = [client.post(ADD, BODY, format="json") for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3
    assert not any(a.has_header("RateLimit") for a in answers)
    assert XPEntry.objects.filter(user=player).count() == 3


@pytest.mark.django_db(transaction=True)
def test_racing_lean_requests_with_one_idempotency_key_write_one_entry(monkeypatch):
    """10 signed-in clients this process already knows send the same key at once: the lean path
    writes the entry once; every loser meets the unique index, and the full view replays it."""
    player = PlayerFactory()
    clients = [session_client(player) for _ in range(10)]
    for client in clients:  # every session learnt: the racing requests take the lean path
        assert client.post(ADD, BODY, format="json").status_code == 201
    lean_answers: list[int] = []
    real = hot_path.lean_answer

    def counted(request: Any) -> Any:
        answer = real(request)
        if answer is not None:
            lean_answers.append(answer.status_code)
        return answer

    monkeypatch.setattr("api.v1.xp.views.lean_answer", counted)
    body = {"activity": "pushups", "units": 7}
    answers = run_at_once(lambda i: clients[i].post(ADD, body, format="json", HTTP_IDEMPOTENCY_KEY="race-1"), count=10)
    assert {a.status_code for a in answers} == {201}
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    assert len({a.json()["entry"]["id"] for a in answers}) == 1
    assert lean_answers == [201]  # the winner, on the lean path; the nine replays by the full view
    assert XPEntry.objects.filter(user=player, idempotency_key="race-1").count() == 1
    per_unit = ActivityType.objects.get(key="pushups").xp_per_unit
    assert UserProfile.objects.get(user=player).total_xp == (10 * 10 + 7) * per_unit
