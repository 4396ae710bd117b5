"""Streaks per mode over the player's local days: time zones, freezes, milestones, the rebuild."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from achievements.models import StreakFreeze, StreakState
from core.constants import streak_rules
from core.services.achievements import streaks
from events.models import DomainEvent
from tests.achievements.clock import Clock
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

ADD = "/api/v1/xp/add/"
STREAKS = "/api/v1/user/streaks/"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(user)
    return client


def award(client: APIClient, clock: Clock, moment: datetime, activity: str = "pushups") -> dict:
    clock.set(moment)
    response = client.post(ADD, {"activity": activity, "units": 1}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def claim(client: APIClient, clock: Clock, moment: datetime) -> int:
    """A report held for review (more push-ups than one entry is believed without a check)."""
    clock.set(moment)
    response = client.post(ADD, {"activity": "pushups", "units": 400}, format="json")
    assert response.status_code == 202, response.content
    return int(response.json()["claim"]["id"])


def approve(claim_id: int, clock: Clock, moment: datetime) -> XPEntry:
    """A moderator approves the claim at ``moment``; returns its ledger entry."""
    clock.set(moment)
    moderator = client_for(PlayerFactory(is_staff=True))
    answer = moderator.post(f"/api/v1/claims/{claim_id}/decision/", {"verdict": "approve"}, format="json")
    assert answer.status_code == 200, answer.content
    return XPEntry.objects.get(idempotency_key=f"claim:{claim_id}")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch, at("2026-12-01T12:00:00"))


@pytest.mark.django_db
def test_streaks_count_local_days_across_midnight_in_auckland_and_los_angeles(clock):
    """Two awards an hour apart across local midnight are two days of a streak in the player's
    zone, while the same two UTC instants are one day for a player on UTC."""
    players = {zone: PlayerFactory() for zone in ("Pacific/Auckland", "America/Los_Angeles", "UTC")}
    clients = {zone: client_for(p) for zone, p in players.items()}
    for zone, client in clients.items():
        response = client.patch("/api/v1/user/profile/", {"timezone": zone}, format="json")
        assert response.status_code == 200 and response.json()["timezone"] == zone
    # Auckland is UTC+13 in December: 10:30Z is 23:30 on the 5th, 11:30Z is 00:30 on the 6th.
    award(clients["Pacific/Auckland"], clock, at("2026-12-05T10:30:00"))
    award(clients["Pacific/Auckland"], clock, at("2026-12-05T11:30:00"))
    award(clients["UTC"], clock, at("2026-12-05T10:30:00"))
    award(clients["UTC"], clock, at("2026-12-05T11:30:00"))
    # Los Angeles is UTC-8: 07:30Z on the 6th is 23:30 on the 5th, 08:30Z is 00:30 on the 6th.
    award(clients["America/Los_Angeles"], clock, at("2026-12-06T07:30:00"))
    award(clients["America/Los_Angeles"], clock, at("2026-12-06T08:30:00"))

    clock.set(at("2026-12-06T09:00:00"))
    auckland = clients["Pacific/Auckland"].get(STREAKS).json()["reality"]
    los_angeles = clients["America/Los_Angeles"].get(STREAKS).json()["reality"]
    utc = clients["UTC"].get(STREAKS).json()["reality"]
    assert (auckland["current"], los_angeles["current"], utc["current"]) == (2, 2, 1)
    # Auckland: it is the 6th 22:00 there, done; lost at the end of the 7th (local midnight).
    assert auckland["today_done"] is True
    assert auckland["ends_at"] == "2026-12-07T11:00:00Z"
    # Los Angeles: 01:00 on the 6th there, done; lost when the 8th begins there (08:00Z).
    assert los_angeles["today_done"] is True and los_angeles["ends_at"] == "2026-12-08T08:00:00Z"
    # UTC: played on the 5th only; the 6th is not done yet; lost at the end of the 6th.
    assert utc["today_done"] is False and utc["ends_at"] == "2026-12-07T00:00:00Z"
    assert clients["UTC"].get(STREAKS).json()["cyber"] == {
        "current": 0,
        "longest": 0,
        "freezes": 0,
        "today_done": False,
        "ends_at": None,
    }
    profile = clients["Pacific/Auckland"].get("/api/v1/user/profile/").json()
    assert profile["streaks"]["reality"] == {"current": 2, "longest": 2}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "code"),
    [
        ("Mars/Olympus_Mons", "invalid_timezone"),
        (" UTC", "invalid_timezone"),
        ("../../etc/passwd", "invalid_timezone"),
        ("Europe/Berlin\n", "invalid_timezone"),
        ("", "blank"),
        (5, "not_a_string"),
        (None, "null"),
    ],
)
def test_an_invalid_time_zone_is_refused_with_a_code(player_client, zone, code):
    response = player_client.patch("/api/v1/user/profile/", {"timezone": zone}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert code in {body["code"], *(e.get("code") for e in body.get("errors", []))}, body
    assert player_client.get("/api/v1/user/profile/").json()["timezone"] == "UTC"


@pytest.mark.django_db
def test_a_missed_day_spends_a_held_freeze_by_itself_and_two_lose_the_streak(clock, player):
    client = client_for(player)
    start = at("2026-11-01T09:00:00")
    for day in range(7):  # 7 days: a freeze earned, the 7-day milestone
        award(client, clock, start + timedelta(days=day))
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["freezes"]) == (7, 1)
    assert list(DomainEvent.objects.filter(user=player, type="streak_milestone").values_list("data", flat=True)) == [
        {"mode": "reality", "days": 7}
    ]
    # Day 8 missed: on day 9 the freeze is spent by itself, the streak still stands.
    clock.set(start + timedelta(days=8))
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["freezes"], state["today_done"]) == (7, 0, False)
    assert state["ends_at"] == "2026-11-10T00:00:00Z"
    award(client, clock, start + timedelta(days=8))
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["longest"], state["freezes"]) == (8, 8, 0)
    # Two days missed with no freeze: lost; the next award starts again at 1 and says so.
    clock.set(start + timedelta(days=11))
    assert client.get(STREAKS).json()["reality"]["current"] == 0
    award(client, clock, start + timedelta(days=11))
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["longest"]) == (1, 8)
    assert list(DomainEvent.objects.filter(user=player, type="streak_lost").values_list("data", flat=True)) == [
        {"mode": "reality", "days": 8}
    ]


@pytest.mark.django_db
def test_a_freeze_spent_ahead_covers_the_next_day(clock, player):
    client = client_for(player)
    start = at("2026-11-01T20:00:00")
    assert client.post(f"{STREAKS}reality/freeze/").json()["code"] == "no_active_streak"
    assert client.post(f"{STREAKS}moon/freeze/").status_code == 404
    for day in range(6):
        award(client, clock, start + timedelta(days=day))
    response = client.post(f"{STREAKS}reality/freeze/")
    assert response.status_code == 409 and response.json()["code"] == "no_streak_freeze"
    award(client, clock, start + timedelta(days=6))  # day 7: one freeze earned
    response = client.post(f"{STREAKS}reality/freeze/")
    assert response.status_code == 201, response.content
    assert response.json()["day"] == "2026-11-08"  # today (the 7th) is done: tomorrow is covered
    assert response.json()["streaks"]["reality"]["freezes"] == 0
    assert response.json()["streaks"]["reality"]["ends_at"] == "2026-11-10T00:00:00Z"
    # The 8th passes without an award; on the 9th the streak stands with nothing spent by itself.
    award(client, clock, start + timedelta(days=8))
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["freezes"]) == (8, 0)
    assert StreakFreeze.objects.filter(user=player, mode="reality").count() == 1


@pytest.mark.django_db
def test_the_rebuilt_streak_equals_the_live_one(clock, player):
    """Awards over 40 days with gaps, freezes spent by themselves and ahead, in two modes and a
    time zone far from UTC: the rebuild from the ledger finds exactly the stored state."""
    client = client_for(player)
    client.patch("/api/v1/user/profile/", {"timezone": "Pacific/Auckland"}, format="json")
    start = at("2026-10-01T05:00:00")  # 18:00 in Auckland: every award of a day on the same local day
    pattern = [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
        15,
        17,
        19,
        20,
        21,
        25,
        26,
        27,
        28,
        29,
        30,
        31,
        32,
        33,
        34,
    ]
    held = 0
    for n, day in enumerate(pattern):
        award(client, clock, start + timedelta(days=day, hours=n % 3))
        if day == 15:  # a claim submitted on the 16th (a day without another award)...
            held = claim(client, clock, start + timedelta(days=16))
        if day == 20:  # ...approved on the 20th: it counts on the 16th, behind the streak's last day
            assert approve(held, clock, start + timedelta(days=day, hours=3)).local_day == date(2026, 10, 17)
        if day in (12, 30):
            clock.set(start + timedelta(days=day, hours=2))
            client.post(f"{STREAKS}reality/freeze/")
        if day % 4 == 0:
            award(client, clock, start + timedelta(days=day, hours=1), activity="coding")
    stored = {s.mode: s for s in StreakState.objects.filter(user=player)}
    assert stored["reality"].longest >= 8
    rebuilt = streaks.rebuild(player.pk, write=False)
    for mode, (replayed, before) in rebuilt.items():
        assert before == replayed, mode
    call_command("rebuild_streaks", "--check")  # exits 1 on any difference


@pytest.mark.django_db
def test_an_approved_claim_counts_on_the_local_day_it_was_submitted_and_repairs_the_streak(clock, player):
    """Played on the 1st-3rd, a claim on the 4th (Los Angeles), played on the 5th: the streak was
    lost over the 4th. The claim approved on the 6th counts on the 4th: the streak is whole again
    (5 days), the approval day itself is not counted, and the rebuild agrees."""
    client = client_for(player)
    client.patch("/api/v1/user/profile/", {"timezone": "America/Los_Angeles"}, format="json")
    for day in (1, 2, 3):
        award(client, clock, at(f"2026-11-0{day}T20:00:00"))
    held = claim(client, clock, at("2026-11-05T06:30:00"))  # 22:30 on the 4th in Los Angeles
    award(client, clock, at("2026-11-05T20:00:00"))
    assert client.get(STREAKS).json()["reality"]["current"] == 1
    assert DomainEvent.objects.filter(user=player, type="streak_lost").count() == 1

    entry = approve(held, clock, at("2026-11-06T20:00:00"))
    assert entry.local_day == date(2026, 11, 4) and entry.created_at == at("2026-11-06T20:00:00")
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["longest"], state["today_done"]) == (5, 5, False)
    assert state["ends_at"] == "2026-11-07T08:00:00Z"  # the 6th is still open in Los Angeles
    [(rebuilt, stored)] = [streaks.rebuild(player.pk, write=False)["reality"]]
    assert rebuilt == stored
    award(client, clock, at("2026-11-06T21:00:00"))  # the 6th: the repaired streak goes on
    assert client.get(STREAKS).json()["reality"]["current"] == 6


@pytest.mark.django_db
def test_a_claim_approved_days_later_counts_only_on_its_own_day(clock, player):
    """A claim submitted on the 4th after three played days, nothing on the 5th and 6th, approved
    on the 7th: the 4th counts (longest 4), the missed days still lose the streak, and the
    approval is not an award on the 7th."""
    client = client_for(player)
    for day in (1, 2, 3):
        award(client, clock, at(f"2026-11-0{day}T12:00:00"))
    held = claim(client, clock, at("2026-11-04T12:00:00"))
    assert approve(held, clock, at("2026-11-07T12:00:00")).local_day == date(2026, 11, 4)
    state = client.get(STREAKS).json()["reality"]
    assert (state["current"], state["longest"], state["today_done"]) == (0, 4, False)
    award(client, clock, at("2026-11-07T13:00:00"))
    assert client.get(STREAKS).json()["reality"]["current"] == 1
    assert list(DomainEvent.objects.filter(user=player, type="streak_lost").values_list("data", flat=True)) == [
        {"mode": "reality", "days": 4}
    ]
    call_command("rebuild_streaks", "--check")


def test_the_rules_replay_what_the_live_steps_did():
    s = streak_rules.Streak()
    days = [date(2026, 1, d) for d in (1, 2, 3, 4, 5, 6, 7, 9, 10, 13)]
    for day in days:
        streak_rules.play(s, day)
    assert (s.current, s.longest, s.freezes) == (1, 9, 0)  # the 8th frozen, the 11th/12th lost it
    assert streak_rules.replay(days, []) == s
