"""XP under real concurrency on PostgreSQL: many threads, each with its own connection, at once.

Every test ends by checking that each profile equals the sums over its ledger, and that season
scores and daily usage agree with it too.
"""

import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from rest_framework.test import APIClient

from core.exceptions import DailyCapExceeded
from core.services.xp import award_xp, correct_entry
from seasons.models import SeasonScore
from tests.concurrency import run_at_once
from users.tests.factories import PlayerFactory
from xp.models import DailyUsage, UserProfile, XPEntry
from xp.tests.factories import ActivityTypeFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 20


@pytest.fixture(autouse=True)
def _no_write_limits(settings):
    """These tests measure integrity under load, not the per-player rate limit (tested apart)."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "player_write": "100000/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}


def assert_derived_state_matches_ledger(user):
    profile = UserProfile.objects.get(user=user)
    entries = XPEntry.objects.filter(user=user)
    by_mode = dict(entries.values_list("mode").annotate(total=Sum("xp")))
    assert profile.total_xp == (entries.aggregate(t=Sum("xp"))["t"] or 0)
    assert profile.reality_xp == by_mode.get("reality", 0)
    assert profile.cyber_xp == by_mode.get("cyber", 0)
    for score in SeasonScore.objects.filter(user=user):
        assert score.xp == entries.filter(season_id=score.season_id, mode=score.mode).aggregate(t=Sum("xp"))["t"]
    for usage in DailyUsage.objects.filter(user=user):
        assert (
            usage.units
            == entries.filter(activity_id=usage.activity_id, corrects__isnull=True).aggregate(u=Sum("units"))["u"]
        )
    return profile


def test_500_concurrent_adds_for_one_player_through_the_api_lose_nothing():
    player = PlayerFactory()
    activity = ActivityTypeFactory(xp_per_unit=Decimal("3"))
    per_thread = 25

    def worker(i):
        client = APIClient()
        client.force_login(player)
        for _ in range(per_thread):
            response = client.post("/api/v1/xp/add/", {"activity": activity.key, "units": 2}, format="json")
            assert response.status_code == 201, response.content

    run_at_once(worker, THREADS)
    adds = THREADS * per_thread
    profile = assert_derived_state_matches_ledger(player)
    assert profile.total_xp == adds * 6
    assert XPEntry.objects.filter(user=player).count() == adds
    # The running balance on the ledger is a strict sequence: every add saw the one before it.
    assert sorted(XPEntry.objects.filter(user=player).values_list("total_xp_after", flat=True)) == [
        6 * (n + 1) for n in range(adds)
    ]


def test_concurrent_adds_for_many_players_in_both_modes_end_exactly_at_their_ledgers():
    players = [PlayerFactory() for _ in range(8)]
    reality = ActivityTypeFactory(mode="reality", xp_per_unit=Decimal("1.5"))
    cyber = ActivityTypeFactory(mode="cyber", xp_per_unit=Decimal("7"))
    expected: Counter[int] = Counter()
    plan = [
        [(players[(t + k) % len(players)], (reality, cyber)[k % 2], k % 5 + 1) for k in range(30)]
        for t in range(THREADS)
    ]
    for items in plan:
        for user, activity, units in items:
            expected[user.pk] += int(activity.xp_per_unit * units)

    def worker(i):
        for user, activity, units in plan[i]:
            award_xp(user=user, activity=activity, units=Decimal(units), source="web")

    run_at_once(worker, THREADS)
    assert XPEntry.objects.count() == THREADS * 30
    for user in players:
        profile = assert_derived_state_matches_ledger(user)
        assert profile.total_xp == expected[user.pk]


def test_daily_cap_holds_under_the_same_race():
    player = PlayerFactory()
    activity = ActivityTypeFactory(xp_per_unit=Decimal("10"), daily_unit_cap=Decimal("100"))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(i):
        client = APIClient()
        client.force_login(player)
        for _ in range(10):
            response = client.post("/api/v1/xp/add/", {"activity": activity.key, "units": 1}, format="json")
            with lock:
                outcomes[f"{response.status_code} {response.json().get('code', '')}"] += 1

    run_at_once(worker, THREADS)
    assert outcomes == Counter({"201 ": 100, "422 daily_cap_exceeded": 100})
    profile = assert_derived_state_matches_ledger(player)
    assert profile.total_xp == 1000
    assert DailyUsage.objects.get(user=player, activity=activity).units == 100


def test_two_racing_requests_with_the_same_idempotency_key_add_one_entry():
    player = PlayerFactory()
    answers = []
    lock = threading.Lock()

    def worker(i):
        client = APIClient()
        client.force_login(player)
        response = client.post(
            "/api/v1/xp/add/", {"activity": "pushups", "units": 50}, format="json", HTTP_IDEMPOTENCY_KEY="bot-retry-1"
        )
        with lock:
            answers.append(response)

    run_at_once(worker, count=10)
    assert {a.status_code for a in answers} == {201}, [a.json() for a in answers if a.status_code != 201]
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    assert len({a.json()["entry"]["id"] for a in answers}) == 1
    assert XPEntry.objects.filter(user=player).count() == 1
    assert assert_derived_state_matches_ledger(player).total_xp == 500


def test_corrections_racing_with_adds_keep_the_totals_exact():
    player = PlayerFactory()
    activity = ActivityTypeFactory(xp_per_unit=Decimal("1"))
    originals = [
        award_xp(user=player, activity=activity, units=Decimal(10), source="web").entry for _ in range(THREADS)
    ]

    def worker(i):
        if i % 2:
            correct_entry(entry=XPEntry.objects.get(pk=originals[i].pk), reason="cheated", corrected_by=None)
        else:
            award_xp(user=player, activity=activity, units=Decimal(5), source="web")

    run_at_once(worker, THREADS)
    profile = assert_derived_state_matches_ledger(player)
    assert profile.total_xp == THREADS * 10 - (THREADS // 2) * 10 + (THREADS // 2) * 5


def test_cap_refusal_in_a_thread_raises_the_domain_error():
    player = PlayerFactory()
    activity = ActivityTypeFactory(daily_unit_cap=Decimal("3"))
    award_xp(user=player, activity=activity, units=Decimal(3), source="web")
    with pytest.raises(DailyCapExceeded):
        award_xp(user=player, activity=activity, units=Decimal("0.01"), source="web")
    assert_derived_state_matches_ledger(player)
