"""Query counts pinned for the hot endpoints, and corrections written by the award statement."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.selectors.xp.totals import ProfileTotals
from core.services.xp import award_xp, correct_entry
from layers.models import CyberLayerStatus, LayerChange
from seasons.models import SeasonScore
from users.tests.factories import PlayerFactory
from xp.models import DailyUsage, UserProfile, XPEntry
from xp.tests.factories import ActivityTypeFactory


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_xp_add_takes_one_query_session_and_user_included(django_assert_num_queries, player_client, redis_server):
    """In steady state (this process has seen the session; the ranks come from the Redis index):
    the write statement checks the session, the account and the activity itself
    (tests/xp/test_hot_path.py has the rest)."""
    player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json")  # warm the session
    with django_assert_num_queries(1) as captured:
        response = player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 10}, format="json")
    assert response.status_code == 201
    assert "INSERT INTO xp_xpentry" in captured.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_profile_takes_at_most_6_queries(django_assert_max_num_queries, player_client):
    """Session, account, the profile and season standing, the cohorts, streaks and achievements."""
    player_client.post("/api/v1/xp/add/", {"activity": "coding", "units": 10}, format="json")
    with django_assert_max_num_queries(6):
        assert player_client.get("/api/v1/user/profile/").status_code == 200


@pytest.mark.django_db
def test_activities_and_history_do_not_grow_with_rows(player_client, django_assert_max_num_queries):
    for units in range(1, 30):
        player_client.post("/api/v1/xp/add/", {"activity": "squats", "units": units}, format="json")
    with django_assert_max_num_queries(4):
        assert len(player_client.get("/api/v1/xp/history/?page_size=25").json()["results"]) == 25
    with django_assert_max_num_queries(4):  # session, user, count, page
        player_client.get("/api/v1/activities/")


@pytest.mark.django_db
def test_a_correction_goes_through_the_award_statement_and_undoes_everything_but_daily_usage():
    """Awards and corrections are written by one statement builder: correcting every entry of a
    player leaves zero totals, zero season scores, the first layers again (with a layer change
    row saying why), and the daily usage the awards used up."""
    reality = ActivityTypeFactory(key="eq_reality", xp_per_unit=Decimal("2.5"), daily_unit_cap=Decimal("5000"))
    cyber = ActivityTypeFactory(key="eq_cyber", mode="cyber", xp_per_unit=Decimal("300"))
    user = PlayerFactory()
    awards = [
        award_xp(user=user, activity=activity, units=Decimal(units), source="web", idempotency_key=f"k{i}")
        for i, (activity, units) in enumerate([(reality, "10"), (cyber, "7.5"), (reality, "1000"), (cyber, "40")])
    ]
    assert CyberLayerStatus.objects.get(user=user).layer > 0  # the awards crossed a layer
    with CaptureQueriesContext(connection) as captured:
        results = [correct_entry(entry=a.entry, reason="test", corrected_by=None) for a in reversed(awards)]
    assert sum("INSERT INTO xp_xpentry" in q["sql"] for q in captured.captured_queries) == len(awards)
    statements = [q for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]  # the test's transaction
    assert len(statements) == len(awards)  # one statement per correction
    assert results[-1].profile == ProfileTotals(0, 0, 0, 1, "bronze", "bronze")
    assert UserProfile.objects.values_list("total_xp", "reality_xp", "cyber_xp", "level").get(user=user) == (0, 0, 0, 1)
    assert set(SeasonScore.objects.filter(user=user).values_list("mode", "xp")) == {("reality", 0), ("cyber", 0)}
    assert CyberLayerStatus.objects.get(user=user).layer == 0
    changes = LayerChange.objects.filter(user=user).values_list("mode", "from_layer", "to_layer")
    ups, downs = changes.filter(reason="xp"), changes.filter(reason="correction")
    assert len(ups) >= 2 and sorted(downs) == sorted((mode, to, frm) for mode, frm, to in ups)
    corrections = XPEntry.objects.filter(user=user, corrects__isnull=False)
    assert sorted(corrections.values_list("xp", "reason", "source")) == sorted(
        (-a.entry.xp, "test", "admin") for a in awards
    )
    assert set(DailyUsage.objects.filter(user=user).values_list("units", flat=True)) == {
        Decimal("1010"),
        Decimal("47.5"),
    }
