"""XP endpoints through the API: the happy path, the ledger, and every kind of bad input."""

import json
from decimal import Decimal

import pytest

from seasons.models import SeasonScore
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, DailyUsage, UserProfile, XPEntry
from xp.tests.factories import ActivityTypeFactory

ADD = "/api/v1/xp/add/"
pytestmark = pytest.mark.django_db


def state(user):
    """Everything an add may change, to prove a refused request changed nothing."""
    profile = UserProfile.objects.get(user=user)
    return (
        XPEntry.objects.count(),
        (profile.total_xp, profile.reality_xp, profile.cyber_xp, profile.level),
        list(SeasonScore.objects.order_by("pk").values_list("xp", flat=True)),
        list(DailyUsage.objects.order_by("pk").values_list("units", flat=True)),
    )


def test_add_xp_computes_exact_decimal_xp_and_answers_with_the_contract(player_client, player):
    response = player_client.post(ADD, {"activity": "running", "units": 5.3, "note": "morning run"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["awarded_xp"] == 1590  # 5.3 x 300 exactly, not 1589
    assert body["entry"]["activity"] == "running" and body["entry"]["mode"] == "reality"
    assert Decimal(body["entry"]["units"]) == Decimal("5.3") and body["entry"]["xp"] == 1590
    assert body["duplicate"] is False
    assert body["level_up"] == {"from": 1, "to": 6}
    profile = body["profile"]
    assert profile["xp"] == {"total": 1590, "reality": 1590, "cyber": 0}
    assert profile["level"]["current"] == 6
    assert profile["season"]["reality"] == {"xp": 1590, "rank": 1}
    entry = XPEntry.objects.get()
    assert (entry.user_id, entry.xp, entry.source, entry.note, entry.submitted_by_id) == (
        player.pk,
        1590,
        "web",
        "morning run",
        player.pk,
    )


def test_steps_at_a_fifth_of_an_xp_floor_to_whole_xp(player_client):
    response = player_client.post(ADD, {"activity": "steps", "units": 1234}, format="json")
    assert response.json()["awarded_xp"] == 246  # floor(1234 x 0.2 = 246.8)


def test_level_up_is_null_when_the_level_does_not_change(player_client):
    player_client.post(ADD, {"activity": "pushups", "units": 10}, format="json")
    response = player_client.post(ADD, {"activity": "pushups", "units": 1}, format="json")
    assert response.json()["level_up"] is None and response.json()["layer_up"] is None


def test_retry_with_the_same_idempotency_key_returns_the_first_answer_and_adds_nothing(player_client, player):
    first = player_client.post(ADD, {"activity": "running", "units": 5.3}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    before = state(player)
    again = player_client.post(ADD, {"activity": "running", "units": 5.3}, format="json", HTTP_IDEMPOTENCY_KEY="run-1")
    assert again.status_code == 201
    assert again.json()["duplicate"] is True
    assert again.json()["entry"] == first.json()["entry"]
    assert again.json()["level_up"] == first.json()["level_up"] == {"from": 1, "to": 6}
    assert state(player) == before


def test_same_idempotency_key_with_a_different_body_is_a_conflict(player_client, player):
    player_client.post(ADD, {"activity": "running", "units": 1}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    before = state(player)
    response = player_client.post(ADD, {"activity": "running", "units": 2}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409 and response.json()["code"] == "idempotency_key_reused"
    assert state(player) == before


def test_idempotency_keys_are_per_player(player_client):
    other = PlayerFactory()
    from rest_framework.test import APIClient

    other_client = APIClient()
    other_client.force_login(other)
    player_client.post(ADD, {"activity": "pushups", "units": 5}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = other_client.post(ADD, {"activity": "pushups", "units": 5}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201 and response.json()["duplicate"] is False
    assert XPEntry.objects.count() == 2


def test_retry_after_the_first_request_used_up_the_daily_cap_still_answers_duplicate(player_client):
    ActivityType.objects.filter(key="hack_quest").update(review_above=None)  # the cap, not a review
    ok = player_client.post(ADD, {"activity": "hack_quest", "units": 5}, format="json", HTTP_IDEMPOTENCY_KEY="a")
    for key in "bcd":
        player_client.post(ADD, {"activity": "hack_quest", "units": 5}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = player_client.post(ADD, {"activity": "hack_quest", "units": 5}, format="json", HTTP_IDEMPOTENCY_KEY="d")
    assert ok.status_code == 201 and retry.status_code == 201 and retry.json()["duplicate"] is True
    fresh = player_client.post(ADD, {"activity": "hack_quest", "units": 1}, format="json", HTTP_IDEMPOTENCY_KEY="e")
    assert fresh.status_code == 422 and fresh.json()["code"] == "daily_cap_exceeded"


def _bad(client, player, *, status, code, body=None, raw=None, content_type="application/json", **headers):
    before = state(player)
    if raw is not None:
        response = client.generic("POST", ADD, raw, content_type=content_type, **headers)
    else:
        response = client.post(ADD, body, format="json", **headers)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == code, response.json()
    assert state(player) == before
    return response.json()


@pytest.mark.parametrize(
    ("raw", "content_type", "status", "code"),
    [
        ('{"activity": "running", "units": ', "application/json", 400, "parse_error"),
        ("activity=running&units=5", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        ("units: 5", "text/plain", 415, "unsupported_media_type"),
        ('{"activity": "running", "units": NaN}', "application/json", 400, "parse_error"),
        ('{"activity": "running", "units": Infinity}', "application/json", 400, "parse_error"),
        ('{"activity": "running", "units": -Infinity}', "application/json", 400, "parse_error"),
        (b'{"activity": "running", "units": 5\xff}', "application/json", 400, "invalid_text"),
        ("[1, 2]", "application/json", 400, "invalid"),
        ('"running"', "application/json", 400, "invalid"),
        ("", "application/json", 400, "required"),
    ],
)
def test_malformed_bodies_are_refused_and_change_nothing(player_client, player, raw, content_type, status, code):
    _bad(player_client, player, raw=raw, content_type=content_type, status=status, code=code)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"activity": "running", "units": "5 "}, "invalid"),
        ({"activity": "running", "units": True}, "not_a_number"),
        ({"activity": "running", "units": None}, "null"),
        ({"activity": "running", "units": [5]}, "not_a_number"),
        ({"activity": "running", "units": {"v": 5}}, "not_a_number"),
        ({"activity": ["running"], "units": 5}, "invalid"),
        ({"activity": "running"}, "required"),
        ({"units": 5}, "required"),
        ({"activity": "running", "units": 1e300}, "max_digits"),
        ({"activity": "running", "units": 10**40}, "max_digits"),
        ({"activity": "running", "units": 2.555}, "max_decimal_places"),
        ({"activity": "running", "units": 1.001}, "max_decimal_places"),
        ({"activity": "running", "units": 5, "xp": 99999}, "unknown_field"),
        ({"activity": "running", "units": 5, "mode": "dream"}, "invalid_choice"),
        ({"activity": "running", "units": 5, "note": "x" * 501}, "max_length"),
        ({"activity": "no such thing!", "units": 5}, "invalid"),
    ],
)
def test_invalid_fields_are_400_with_a_code_and_change_nothing(player_client, player, body, code):
    errors = _bad(player_client, player, body=body, status=400, code=code)
    assert errors["errors"] and all("field" in e and "code" in e for e in errors["errors"])


def test_huge_exponent_in_raw_json_is_refused(player_client, player):
    _bad(player_client, player, raw='{"activity": "running", "units": 1e999999}', status=400, code="max_digits")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"activity": "teleporting", "units": 5}, 400, "unknown_activity"),
        ({"activity": "running", "units": 0}, 400, "units_not_positive"),
        ({"activity": "running", "units": 0.0}, 400, "units_not_positive"),
        ({"activity": "running", "units": -3}, 400, "units_not_positive"),
        ({"activity": "running", "units": 100.01}, 400, "units_over_entry_max"),
        ({"activity": "pushups", "units": 1001}, 400, "units_over_entry_max"),
        ({"activity": "running", "units": 5, "mode": "cyber"}, 400, "mode_mismatch"),
    ],
)
def test_rule_violations_are_refused_and_change_nothing(player_client, player, body, status, code):
    _bad(player_client, player, body=body, status=status, code=code)


def test_inactive_activity_is_refused(player_client, player):
    ActivityType.objects.filter(key="squats").update(is_active=False)
    _bad(player_client, player, body={"activity": "squats", "units": 5}, status=400, code="inactive_activity")


def test_units_over_the_daily_cap_are_refused_and_change_nothing(player_client, player):
    ActivityType.objects.filter(key="pushups").update(review_above=None)  # the cap, not a review
    for _ in range(3):
        assert player_client.post(ADD, {"activity": "pushups", "units": 1000}, format="json").status_code == 201
    _bad(player_client, player, body={"activity": "pushups", "units": 1}, status=422, code="daily_cap_exceeded")
    # Another activity has its own cap.
    assert player_client.post(ADD, {"activity": "squats", "units": 1}, format="json").status_code == 201


def test_a_single_entry_over_the_daily_cap_is_refused(player_client, player):
    ActivityType.objects.filter(key="running").update(daily_unit_cap=Decimal("10"))
    _bad(player_client, player, body={"activity": "running", "units": 10.5}, status=422, code="daily_cap_exceeded")


def test_oversized_body_is_413_and_changes_nothing(player_client, player):
    raw = json.dumps({"activity": "running", "units": 5, "note": "x" * 20_000})
    _bad(player_client, player, raw=raw, status=413, code="payload_too_large")


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "ünïcode"])
def test_invalid_idempotency_key_header_is_refused(player_client, player, key):
    _bad(
        player_client,
        player,
        body={"activity": "running", "units": 1},
        status=400,
        code="invalid_idempotency_key",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_anonymous_cannot_add_xp(api_client):
    response = api_client.post(ADD, {"activity": "running", "units": 1}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
    assert XPEntry.objects.count() == 0


def test_wrong_method_is_405_with_a_code(player_client):
    response = player_client.get(ADD)
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_unknown_api_path_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-endpoint/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_activities_list_shows_only_active_types_with_the_contract_fields(api_client):
    ActivityType.objects.filter(key="squats").update(is_active=False)
    body = api_client.get("/api/v1/activities/").json()
    keys = [a["key"] for a in body["results"]]
    assert "squats" not in keys and "pushups" in keys and len(keys) == 9
    pushups = next(a for a in body["results"] if a["key"] == "pushups")
    assert set(pushups) >= {"key", "name", "mode", "unit", "xp_per_unit", "max_units_per_entry", "daily_unit_cap"}
    assert Decimal(pushups["xp_per_unit"]) == 10 and Decimal(pushups["daily_unit_cap"]) == 3000
    assert "next" in body


def test_history_is_newest_first_cursor_paginated_and_filterable(player_client, player):
    cyber = ActivityTypeFactory(key="puzzles", mode="cyber")
    for units in (1, 2, 3):
        player_client.post(ADD, {"activity": "pushups", "units": units}, format="json")
    player_client.post(ADD, {"activity": cyber.key, "units": 7}, format="json")
    PlayerFactory()  # someone else's entries never show
    page = player_client.get("/api/v1/xp/history/?page_size=2").json()
    assert [e["xp"] for e in page["results"]] == [7, 30]
    page2 = player_client.get(page["next"]).json()
    assert [e["xp"] for e in page2["results"]] == [20, 10] and page2["next"] is None
    assert [e["xp"] for e in player_client.get("/api/v1/xp/history/?mode=cyber").json()["results"]] == [7]
    only = player_client.get("/api/v1/xp/history/?activity=pushups").json()["results"]
    assert [e["activity"] for e in only] == ["pushups"] * 3


@pytest.mark.parametrize(("query", "code"), [("mode=dream", "invalid_filter"), ("activity=nope", "invalid_filter")])
def test_history_rejects_unknown_filters(player_client, query, code):
    response = player_client.get(f"/api/v1/xp/history/?{query}")
    assert response.status_code == 400 and response.json()["code"] == code


def test_history_requires_sign_in(api_client):
    assert api_client.get("/api/v1/xp/history/").status_code == 401


def test_profile_shows_level_layers_leagues_and_season(player_client, player):
    player_client.post(ADD, {"activity": "coding", "units": 100}, format="json")
    body = player_client.get("/api/v1/user/profile/").json()
    assert body["id"] == player.pk and body["username"] == player.username
    assert body["xp"] == {"total": 500, "reality": 0, "cyber": 500}
    assert body["level"]["current"] == 2
    assert body["level"]["xp_into_level"] == 500 - 282
    assert body["level"]["xp_for_next_level"] == 519 - 500
    assert body["layers"]["cyber"] == {
        "code": "CL0",
        "name": "Surface-Web",
        "order": 0,
        "next_code": "CL1",
        "xp_to_next": 1118 - 500,
    }
    assert body["leagues"] == {"reality": "bronze", "cyber": "bronze"}
    assert body["season"]["cyber"] == {"xp": 500, "rank": 1}
    assert body["season"]["reality"] == {"xp": 0, "rank": None}


def test_profile_requires_sign_in(api_client):
    response = api_client.get("/api/v1/user/profile/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_health_reports_database_and_redis(api_client):
    body = api_client.get("/api/v1/health/").json()
    assert body["database"] == "ok" and body["redis"] in {"ok", "not_configured"} and body["status"] == "ok"


def test_schema_and_offline_swagger_ui(api_client):
    schema = api_client.get("/api/v1/schema/")
    assert schema.status_code == 200 and b"/api/v1/xp/add/" in schema.content
    docs = api_client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower() and "jsdelivr" not in html
