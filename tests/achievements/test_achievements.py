"""Achievements as data: unlocked in the award that reaches them (once, whatever races), listed in
the xp/add answer, the catalogue with progress, a player's public list, the retroactive grant."""

from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from achievements.models import Achievement, AchievementUnlock
from core.selectors.achievements import achievement_catalogue
from core.services.achievements import unlocks
from core.services.xp import award_xp
from events.models import DomainEvent
from tests.concurrency import run_at_once
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, UserProfile, XPEntry
from xp.tests.factories import ActivityTypeFactory

ADD = "/api/v1/xp/add/"


@pytest.mark.django_db
def test_the_first_award_unlocks_first_steps_in_its_answer_and_only_once(player, player_client):
    first = player_client.post(ADD, {"activity": "pushups", "units": 10}, format="json")
    assert first.status_code == 201
    assert first.json()["achievements"] == [
        {"key": "first_steps", "tier": "bronze", "name": "First steps", "icon": "footprints"}
    ]
    assert first.json()["boost"] is None
    second = player_client.post(ADD, {"activity": "pushups", "units": 10}, format="json")
    assert second.json()["achievements"] == []
    assert list(AchievementUnlock.objects.filter(user=player).values_list("achievement__key", "tier")) == [
        ("first_steps", "bronze")
    ]
    events = DomainEvent.objects.filter(user=player, type="achievement_unlocked")
    assert [e.data["achievement"] for e in events] == ["first_steps"]
    # Recognition, not XP: the totals are the ledger's sum.
    profile = UserProfile.objects.get(user=player)
    assert profile.total_xp == sum(XPEntry.objects.filter(user=player).values_list("xp", flat=True)) == 200
    assert player_client.get("/api/v1/user/profile/").json()["achievements_count"] == 1


@pytest.mark.django_db
def test_the_catalogue_shows_progress_per_tier_and_hides_secret_ones(player, player_client):
    ActivityType.objects.filter(key="running").update(review_above=None)  # 50 km at once: not held here
    player_client.post(ADD, {"activity": "running", "units": 50}, format="json")  # 15000 XP, 50 km
    response = player_client.get("/api/v1/achievements/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    items = {item["key"]: item for item in response.json()["results"]}
    assert len(items) >= 10 and "centurion" not in items  # secret until unlocked
    marathoner = items["marathoner"]
    assert marathoner["name"] == "Marathonläufer"
    assert marathoner["value"] == "50.00"
    assert [(t["tier"], t["threshold"], t["met"], t["unlocked_at"] is not None) for t in marathoner["tiers"]] == [
        ("bronze", "42.20", True, True),
        ("silver", "200.00", False, False),
        ("gold", "1000.00", False, False),
    ]
    collector = items["xp_collector"]
    assert [t["met"] for t in collector["tiers"]] == [True, True, False]  # 1000 and 10000 of 15000
    # The public list of what the player unlocked.
    public = APIClient().get(f"/api/v1/users/{player.pk}/achievements/")
    assert public.status_code == 200
    unlocked = {(a["key"], a["tier"]) for a in public.json()["achievements"]}
    assert {("first_steps", "bronze"), ("marathoner", "bronze"), ("xp_collector", "silver")} <= unlocked
    assert ("xp_collector", "gold") not in unlocked and ("marathoner", "silver") not in unlocked
    assert APIClient().get("/api/v1/users/999999999/achievements/").json()["code"] == "unknown_player"


@pytest.mark.django_db(transaction=True)
def test_an_achievement_is_unlocked_once_under_20_racing_awards():
    """20 awards at once for one player: each crosses the entries thresholds 1 and 10 exactly
    once between them, so first_steps and regular (bronze) are unlocked once, with one event each."""
    player = PlayerFactory()
    activity = ActivityTypeFactory(key="race_activity")
    awards = run_at_once(
        lambda i: award_xp(user=player, activity=activity, units=Decimal(1), source="web", idempotency_key=f"r{i}"),
        20,
    )
    unlocked = [u for a in awards for u in a.unlocked]
    assert sorted((u.key, u.tier) for u in unlocked) == [("first_steps", "bronze"), ("regular", "bronze")]
    assert AchievementUnlock.objects.filter(user=player).count() == 2
    assert DomainEvent.objects.filter(user=player, type="achievement_unlocked").count() == 2
    assert UserProfile.objects.get(user=player).total_xp == 20 == UserProfile.objects.get(user=player).entries_count


@pytest.mark.django_db(transaction=True)
def test_unique_key_holds_when_two_grants_race():
    """The database, not the code path, makes an unlock happen once: 20 threads unlocking the same
    tier directly insert one row and report it once."""
    player = PlayerFactory()
    first_steps = Achievement.objects.get(key="first_steps")
    done = run_at_once(lambda i: unlocks.unlock(player.pk, [(first_steps, "bronze")], now=connection_now()), 20)
    assert sum(len(d) for d in done) == 1
    assert AchievementUnlock.objects.filter(user=player).count() == 1


def connection_now():  # type: ignore[no-untyped-def]
    from core.utils.dates import utc_now

    return utc_now()


@pytest.mark.django_db
def test_a_new_achievement_is_granted_retroactively_by_a_resumable_job():
    activity = ActivityTypeFactory(key="retro_activity")
    rich, poor, richer = PlayerFactory(), PlayerFactory(), PlayerFactory()
    for user, units in ((rich, 600), (poor, 100), (richer, 1500)):
        award_xp(user=user, activity=activity, units=Decimal(units), source="web")
    achievement = Achievement.objects.create(
        key="big_spender", name_en="Big spender", kind="total_xp", bronze=Decimal(500), silver=Decimal(1000)
    )
    # One batch of one player, then the job "dies": the cursor says where to resume.
    assert unlocks.grant_batch(achievement.pk, batch=1) is False
    achievement.refresh_from_db()
    assert achievement.granted_through == min(rich.pk, poor.pk, richer.pk) and achievement.granted_at is None
    from achievements.tasks import grant_new_achievements

    assert grant_new_achievements(0) >= 1  # the periodic sweep finishes it
    achievement.refresh_from_db()
    assert achievement.granted_at is not None
    assert set(AchievementUnlock.objects.filter(achievement=achievement).values_list("user_id", "tier")) == {
        (rich.pk, "bronze"),
        (richer.pk, "bronze"),
        (richer.pk, "silver"),
    }
    assert UserProfile.objects.get(user=rich).total_xp == 600  # no XP for an achievement
    # A later award unlocks it live too (the in-process catalogue reloaded).
    achievement_catalogue.forget_catalogue()
    later = award_xp(user=poor, activity=activity, units=Decimal(450), source="web")
    assert [(u.key, u.tier) for u in later.unlocked] == [("big_spender", "bronze")]
    assert connection.in_atomic_block  # the test's transaction: the unlock rolled back with it
