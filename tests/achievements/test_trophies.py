"""Season close: the top 3 of each mode's whole board and of each league's board get a trophy that
stays on the profile (/user/seasons/, /users/{id}/achievements/); podium achievements unlock."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from achievements.models import AchievementUnlock, SeasonTrophy
from core.services.achievements.trophies import award_season_recognition
from seasons.models import Season
from tests.seasons.helpers import at, award_at
from users.tests.factories import PlayerFactory
from xp.models import UserProfile


@pytest.mark.django_db
def test_season_close_gives_trophies_to_each_podium():
    silver = [PlayerFactory(username=f"s{i}") for i in range(4)]
    bronze = [PlayerFactory(username=f"b{i}") for i in range(2)]
    UserProfile.objects.filter(user__in=silver).update(reality_league="silver")
    for i, user in enumerate(silver):
        award_at(user, 1000 - 100 * i, at("2026-01-10T12:00:00"))  # 1000, 900, 800, 700
    award_at(bronze[0], 950, at("2026-01-11T12:00:00"))
    award_at(bronze[1], 10, at("2026-01-11T12:00:00"))
    award_at(silver[0], 5, at("2026-01-12T12:00:00"), mode="cyber")
    call_command("close_seasons", "--no-progress", stdout=None)

    trophies = set(
        SeasonTrophy.objects.filter(season_id="2026-01").values_list("user__username", "mode", "league", "rank")
    )
    assert trophies == {
        # The whole reality board: 1000, 950, 900.
        ("s0", "reality", "", 1),
        ("b0", "reality", "", 2),
        ("s1", "reality", "", 3),
        # The silver league's board and the bronze league's.
        ("s0", "reality", "silver", 1),
        ("s1", "reality", "silver", 2),
        ("s2", "reality", "silver", 3),
        ("b0", "reality", "bronze", 1),
        ("b1", "reality", "bronze", 2),
        # Cyber: one player with XP.
        ("s0", "cyber", "", 1),
        ("s0", "cyber", "bronze", 1),
    }
    # The season podium achievement (rank in the league board at most 3/2/1).
    podium = set(
        AchievementUnlock.objects.filter(achievement__key="season_podium").values_list("user__username", "tier")
    )
    assert ("s0", "gold") in podium and ("s2", "bronze") in podium and ("s3", "bronze") not in podium
    # A second run (a resumed close) adds nothing.
    assert award_season_recognition(Season.objects.get(pk="2026-01")) == 0
    # On the profile: the past seasons and the public achievements list.
    client = APIClient()
    client.force_login(silver[0])
    seasons = {(s["season"], s["mode"]): s for s in client.get("/api/v1/user/seasons/").json()["results"]}
    assert sorted(seasons[("2026-01", "reality")]["trophies"], key=lambda t: t["league"] or "") == [
        {"league": None, "rank": 1},
        {"league": "silver", "rank": 1},
    ]
    public = APIClient().get(f"/api/v1/users/{silver[0].pk}/achievements/").json()
    assert {(t["season"], t["mode"], t["league"], t["rank"]) for t in public["trophies"]} == {
        ("2026-01", "reality", None, 1),
        ("2026-01", "reality", "silver", 1),
        ("2026-01", "cyber", None, 1),
        ("2026-01", "cyber", "bronze", 1),
    }
