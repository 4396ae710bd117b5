"""Query counts pinned for the hot endpoints, and the two write paths proven equal."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from core.services import xp_service
from layers.models import LayerChange, RealityLayerStatus
from seasons.models import SeasonScore
from users.tests.factories import PlayerFactory
from xp.models import DailyUsage, UserProfile, XPEntry
from xp.tests.factories import ActivityTypeFactory


@pytest.mark.postgres
def test_xp_add_takes_at_most_6_queries_session_and_user_included(
    postgres, django_assert_max_num_queries, player_client
):
    player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json")  # warm the session
    with django_assert_max_num_queries(6) as captured:
        response = player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 10}, format="json")
    assert response.status_code == 201
    # The write itself is one statement.
    assert sum("INSERT INTO xp_xpentry" in q["sql"] for q in captured.captured_queries) == 1


@pytest.mark.postgres
def test_profile_takes_at_most_5_queries(postgres, django_assert_max_num_queries, player_client):
    player_client.post("/api/v1/xp/add/", {"activity": "coding", "units": 10}, format="json")
    with django_assert_max_num_queries(5):
        assert player_client.get("/api/v1/user/profile/").status_code == 200


@pytest.mark.django_db
def test_activities_and_history_do_not_grow_with_rows(player_client, django_assert_max_num_queries):
    for units in range(1, 30):
        player_client.post("/api/v1/xp/add/", {"activity": "squats", "units": units}, format="json")
    with django_assert_max_num_queries(4):
        assert len(player_client.get("/api/v1/xp/history/?page_size=25").json()["results"]) == 25
    with django_assert_max_num_queries(4):  # session, user, count, page
        player_client.get("/api/v1/activities/")


def snapshot(user):
    return {
        "entries": list(
            XPEntry.objects.filter(user=user)
            .order_by("id")
            .values_list("mode", "units", "xp", "total_xp_after", "mode_xp_after", "season_id", "idempotency_key")
        ),
        "profile": UserProfile.objects.filter(user=user)
        .values_list("total_xp", "reality_xp", "cyber_xp", "level")
        .get(),
        "scores": list(
            SeasonScore.objects.filter(user=user).order_by("mode").values_list("mode", "xp", "version", "league")
        ),
        "usage": list(DailyUsage.objects.filter(user=user).order_by("activity_id").values_list("units", "cap")),
        "layer": list(RealityLayerStatus.objects.filter(user=user).values_list("layer", flat=True)),
        "changes": list(
            LayerChange.objects.filter(user=user).order_by("id").values_list("mode", "from_layer", "to_layer", "reason")
        ),
    }


@pytest.mark.postgres
def test_the_single_statement_and_the_portable_write_leave_identical_state(postgres, monkeypatch):
    """PostgreSQL runs award_xp as one statement; SQLite runs the ORM path. Same inputs, same rows."""
    reality = ActivityTypeFactory(key="eq_reality", xp_per_unit=Decimal("2.5"), daily_unit_cap=Decimal("5000"))
    cyber = ActivityTypeFactory(key="eq_cyber", mode="cyber", xp_per_unit=Decimal("3"))
    steps = [(reality, "10"), (cyber, "7.5"), (reality, "800.25"), (reality, "1000"), (cyber, "2")]

    def play(user):
        for i, (activity, units) in enumerate(steps):
            xp_service.award_xp(
                user=user, activity=activity, units=Decimal(units), source="web", idempotency_key=f"k{i}"
            )

    fast, portable = PlayerFactory(), PlayerFactory()
    play(fast)
    monkeypatch.setattr(xp_service, "_award_postgresql", lambda w: xp_service._award_orm(w))
    with transaction.atomic():
        play(portable)
    assert connection.vendor == "postgresql"
    assert snapshot(fast) == snapshot(portable)
    assert snapshot(fast)["changes"]  # the sequence crossed a layer, so layer rows were compared too
