"""XP boosts: applied inside the award path in their window only, recorded in the ledger, caps
on base units, listed and announced; the hot path stays one statement with a boost running."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from achievements.models import Achievement, XPBoost
from achievements.tasks import announce_started_boosts
from events.models import DomainEvent
from tests.achievements.clock import Clock
from tests.round_trips import RoundTrips
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, XPEntry

ADD = "/api/v1/xp/add/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def weekend_boost(db) -> XPBoost:  # type: ignore[no-untyped-def]
    """Double running XP on the weekend of 5-6 December 2026 (UTC)."""
    return XPBoost.objects.create(
        name="Weekend run",
        multiplier=Decimal("2"),
        starts_at=at("2026-12-05T00:00:00"),
        ends_at=at("2026-12-07T00:00:00"),
        activity=ActivityType.objects.get(key="running"),
    )


@pytest.mark.django_db
def test_a_weekend_boost_doubles_xp_inside_its_window_only(monkeypatch, weekend_boost, player, player_client):
    clock = Clock(monkeypatch, at("2026-12-04T23:59:59"))
    per_km = ActivityType.objects.get(key="running").xp_per_unit  # 300

    def run(moment: str, km: str = "1") -> dict:
        clock.set(at(moment))
        response = player_client.post(ADD, {"activity": "running", "units": km}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    assert run("2026-12-04T23:59:59")["awarded_xp"] == per_km  # Friday: before the window
    inside = run("2026-12-05T00:00:00")
    assert inside["awarded_xp"] == 2 * per_km
    assert inside["entry"]["xp"] == 2 * per_km
    assert inside["boost"] == {
        "name": "Weekend run",
        "multiplier": "2.000",
        "base_xp": per_km,
        "ends_at": "2026-12-07T00:00:00Z",
    }
    assert run("2026-12-06T23:59:59")["awarded_xp"] == 2 * per_km
    monday = run("2026-12-07T00:00:00")
    assert monday["awarded_xp"] == per_km and monday["boost"] is None
    # Other activities are not in the boost's scope.
    clock.set(at("2026-12-05T12:00:00"))
    pushups = player_client.post(ADD, {"activity": "pushups", "units": 10}, format="json").json()
    assert pushups["boost"] is None and pushups["awarded_xp"] == 100
    # The ledger records the base XP and the multiplier.
    entries = XPEntry.objects.filter(user=player, activity__key="running").order_by("created_at")
    assert [(e.base_xp, e.multiplier, e.xp) for e in entries] == [
        (per_km, Decimal("1"), per_km),
        (per_km, Decimal("2"), 2 * per_km),
        (per_km, Decimal("2"), 2 * per_km),
        (per_km, Decimal("1"), per_km),
    ]


@pytest.mark.django_db
def test_the_daily_cap_counts_base_units_under_a_boost(monkeypatch, weekend_boost, player_client):
    Clock(monkeypatch, at("2026-12-05T09:00:00"))
    running = ActivityType.objects.get(key="running")
    assert running.daily_unit_cap == Decimal("150")
    ActivityType.objects.filter(pk=running.pk).update(review_above=None)  # whole cap in two entries: not held
    first = player_client.post(ADD, {"activity": "running", "units": 100}, format="json").json()
    second = player_client.post(ADD, {"activity": "running", "units": 50}, format="json").json()
    assert (first["awarded_xp"], second["awarded_xp"]) == (60000, 30000)  # doubled XP, 150 km
    refused = player_client.post(ADD, {"activity": "running", "units": "0.01"}, format="json")
    assert refused.status_code in (400, 422) and refused.json()["code"] == "daily_cap_exceeded"


@pytest.mark.django_db
def test_boosts_are_listed_and_announced_once(monkeypatch, weekend_boost):
    later = XPBoost.objects.create(
        name="Cyber week",
        multiplier=Decimal("1.5"),
        starts_at=at("2026-12-14T00:00:00"),
        ends_at=at("2026-12-21T00:00:00"),
        mode="cyber",
    )
    XPBoost.objects.create(
        name="Over", multiplier=Decimal("3"), starts_at=at("2026-11-01T00:00:00"), ends_at=at("2026-11-02T00:00:00")
    )
    Clock(monkeypatch, at("2026-12-05T10:00:00"))
    monkeypatch.setattr("core.selectors.achievements.achievements.utc_now", lambda: at("2026-12-05T10:00:00"))
    body = APIClient().get("/api/v1/boosts/").json()
    assert [b["name"] for b in body["active"]] == ["Weekend run"]
    assert body["active"][0]["activity"] == "running" and body["active"][0]["mode"] == "reality"
    assert [(b["id"], b["multiplier"], b["mode"], b["activity"]) for b in body["upcoming"]] == [
        (later.pk, "1.500", "cyber", None)
    ]
    assert announce_started_boosts() == 1
    assert announce_started_boosts() == 0
    event = DomainEvent.objects.get(type="boost_started")
    assert event.data["boost"] == weekend_boost.pk and event.data["multiplier"] == "2.000"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_xp_add_stays_one_statement_with_20_achievements_and_a_boost(monkeypatch, redis_server):
    for n in range(20 - Achievement.objects.count()):
        Achievement.objects.create(key=f"extra_{n}", name_en=f"Extra {n}", kind="total_xp", bronze=Decimal(10**9 + n))
    assert Achievement.objects.count() >= 20
    XPBoost.objects.create(
        name="Everything",
        multiplier=Decimal("1.25"),
        starts_at=at("2020-01-01T00:00:00"),
        ends_at=at("2100-01-01T00:00:00"),
    )
    player = PlayerFactory()
    client = APIClient()
    client.force_login(player)
    assert client.post(ADD, {"activity": "pushups", "units": 1}, format="json").status_code == 201  # warm up
    trips = RoundTrips(monkeypatch)
    for units in (2, 3):
        trips.reset()
        response = client.post(ADD, {"activity": "pushups", "units": units}, format="json")
        assert response.status_code == 201
        assert trips.sql == ["WITH"]
        assert response.json()["awarded_xp"] == int(units * 10 * Decimal("1.25"))
        assert response.json()["boost"]["multiplier"] == "1.250"
