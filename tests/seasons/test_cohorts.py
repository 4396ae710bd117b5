"""Cohorts: assignment on the first XP of a season and mode (race-free), the cohort board."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.constants.leagues import cohort_moves
from core.services.seasons import cohorts
from core.services.xp import award_xp
from core.utils.dates import season_id_for, utc_now
from seasons.models import SeasonCohort, SeasonScore
from tests.concurrency import run_at_once
from tests.seasons.helpers import activity, at, award_at
from users.tests.factories import PlayerFactory
from xp.models import UserProfile


def cohort_sizes(mode="reality", league="bronze"):
    season = season_id_for(utc_now())
    cohorts_ = SeasonCohort.objects.filter(season_id=season, mode=mode, league=league).order_by("number")
    return [SeasonScore.objects.filter(cohort=c).count() for c in cohorts_], [c.members for c in cohorts_]


@pytest.mark.django_db(transaction=True)
def test_100_racing_first_awards_fill_cohorts_of_30_30_30_10():
    players = [PlayerFactory(username=f"racer{i:03d}") for i in range(100)]
    act = activity()
    # 20 connections at once (the server allows 100 for every test run on the machine), each
    # giving five players their first XP of the season: 100 first awards racing for seats.
    groups = [players[i::20] for i in range(20)]

    def first_awards(i):
        for user in groups[i]:
            award_xp(user=user, activity=act, units=Decimal(10 + user.pk % 7), source="web")
            award_xp(user=user, activity=act, units=Decimal(1), source="web")  # not a first: no seat

    run_at_once(first_awards, 20)
    sizes, members = cohort_sizes()
    assert sizes == [30, 30, 30, 10]
    assert members == [30, 30, 30, 10]
    assert SeasonScore.objects.filter(cohort__isnull=True).count() == 0
    assert SeasonScore.objects.values("cohort").distinct().count() == 4


@pytest.mark.django_db
def test_cohorts_fill_in_order_of_arrival_per_league_and_mode(settings):
    settings.COHORT_SIZE = 3
    now = utc_now()
    bronze = [PlayerFactory() for _ in range(4)]
    silver = [PlayerFactory() for _ in range(2)]
    for user in silver:
        UserProfile.objects.update_or_create(user=user, defaults={"reality_league": "silver"})
    for user in [*bronze, *silver]:
        award_at(user, 5, now)
    award_at(bronze[0], 5, now, mode="cyber")
    by_user = dict(SeasonScore.objects.filter(mode="reality").values_list("user_id", "cohort__number"))
    assert [by_user[u.pk] for u in bronze] == [1, 1, 1, 2]
    assert [by_user[u.pk] for u in silver] == [1, 1]
    assert set(SeasonCohort.objects.values_list("mode", "league", "number", "members")) == {
        ("reality", "bronze", 1, 3),
        ("reality", "bronze", 2, 1),
        ("reality", "silver", 1, 2),
        ("cyber", "bronze", 1, 1),
    }


@pytest.mark.django_db
def test_an_award_after_the_first_costs_no_statement_for_the_cohort():
    user = PlayerFactory()
    act = activity()
    award_xp(user=user, activity=act, units=Decimal(5), source="web")
    with CaptureQueriesContext(connection) as captured:
        award_xp(user=user, activity=act, units=Decimal(5), source="web")
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(statements) == 1 and "INSERT INTO xp_xpentry" in statements[0]


@pytest.mark.django_db
def test_a_score_left_without_a_cohort_is_placed_by_the_board_and_keeps_later_seats(player_client, player):
    award_xp(user=player, activity=activity(), units=Decimal(5), source="web")
    SeasonScore.objects.filter(user=player).update(cohort=None)  # as if the assignment was cut off
    body = player_client.get("/api/v1/leaderboards/cohort/reality/").json()
    assert body["cohort"]["number"] == 1
    assert SeasonCohort.objects.get().members == 2  # the first seat is never given back
    assert body["me"]["user"]["id"] == player.pk
    assert cohorts.assign_missing(season_id_for(utc_now())) == 0


@pytest.mark.parametrize(
    ("players", "league", "up", "down"),
    [
        (30, "silver", 7, 5),
        (29, "silver", 6, 4),
        (15, "silver", 3, 2),
        (5, "silver", 1, 0),
        (2, "silver", 1, 0),
        (1, "silver", 0, 0),
        (0, "silver", 0, 0),
        (30, "ultra", 0, 5),
        (30, "bronze", 7, 0),
        (2, "bronze", 1, 0),
    ],
)
def test_cohort_moves_are_fixed_counts_scaled_to_the_cohort(players, league, up, down):
    assert cohort_moves(players, 30, 7, 5, league) == (up, down)


def board(client, mode="reality", **params):
    response = client.get(f"/api/v1/leaderboards/cohort/{mode}/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_a_cohort_board_of_30_with_its_zones(api_client):
    now = utc_now()
    players = [PlayerFactory(username=f"c{i:02d}") for i in range(31)]
    UserProfile.objects.filter(user__in=players).update(reality_league="gold")
    for i, user in enumerate(players):
        award_at(user, 1000 - 10 * i, now)  # c00 best ... c29 last; c30 opens cohort 2
    award_at(players[5], 10, now)  # c05 ties c04 on XP, reached later: listed after it
    api_client.force_login(players[29])
    body = board(api_client)
    assert body["season"] == season_id_for(now) and body["season_status"] == "open"
    assert body["league"] == "gold" and body["ends_at"].endswith("Z")
    assert {k: body["cohort"][k] for k in ("number", "league", "size", "players", "promotes", "demotes")} == {
        "number": 1,
        "league": "gold",
        "size": 30,
        "players": 30,
        "promotes": 7,
        "demotes": 5,
    }
    names = [row["user"]["username"] for row in body["results"]]
    assert names == [f"c{i:02d}" for i in range(30)]
    assert [row["rank"] for row in body["results"]][3:6] == [4, 5, 5]
    assert [row["promotion_zone"] for row in body["results"]] == [True] * 7 + [False] * 23
    assert [row["demotion_zone"] for row in body["results"]] == [False] * 25 + [True] * 5
    assert body["me"]["user"]["username"] == "c29" and body["me"]["rank"] == 30 and body["me"]["demotion_zone"]
    row = body["results"][0]
    assert set(row) == {"rank", "user", "xp", "level", "layer", "promotion_zone", "demotion_zone"}
    assert row["xp"] == 1000 and row["layer"].startswith("RL")

    api_client.force_login(players[30])
    alone = board(api_client)
    assert alone["cohort"]["number"] == 2 and alone["cohort"]["promotes"] == 0
    assert [row["user"]["username"] for row in alone["results"]] == ["c30"]


@pytest.mark.django_db
def test_the_cohort_board_before_the_first_xp_and_its_errors(api_client, player_client):
    assert api_client.get("/api/v1/leaderboards/cohort/reality/").status_code in (401, 403)
    body = board(player_client, "cyber")
    assert (body["cohort"], body["league"], body["results"], body["me"]) == (None, None, [], None)
    bad = player_client.get("/api/v1/leaderboards/cohort/reality/", {"season": "2026-13"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_season")
    unknown = player_client.get("/api/v1/leaderboards/cohort/reality/", {"season": "2001-01"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_season")
    assert player_client.get("/api/v1/leaderboards/cohort/arcade/").status_code == 404


@pytest.mark.django_db
def test_xp_added_over_http_places_the_player_and_the_profile_names_the_cohort(player_client, player):
    response = player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 10}, format="json")
    assert response.status_code == 201
    body = board(player_client)
    assert body["cohort"]["league"] == "bronze" and body["me"]["xp"] == 100 and body["me"]["rank"] == 1
    profile = player_client.get("/api/v1/user/profile/").json()
    assert profile["cohorts"]["reality"] == {"id": body["cohort"]["id"], "number": 1, "league": "bronze"}
    assert profile["cohorts"]["cyber"] is None


@pytest.mark.django_db
def test_a_past_season_board_by_its_id(player_client, player):
    award_at(player, 40, at("2026-01-10T00:00:00"))
    body = board(player_client, season="2026-01")
    assert body["season"] == "2026-01" and body["ends_at"] == "2026-02-01T00:00:00Z"
    assert body["me"]["xp"] == 40


@pytest.mark.django_db
def test_assign_cohorts_places_scores_made_before_cohorts_in_order_of_arrival(settings):
    from io import StringIO

    from django.core.management import call_command

    settings.COHORT_SIZE = 2
    players = [PlayerFactory() for _ in range(3)]
    for user in players:
        award_at(user, 5, at("2026-01-10T00:00:00"))
    SeasonScore.objects.update(cohort=None)
    SeasonCohort.objects.all().delete()  # as before cohorts existed
    out = StringIO()
    call_command("assign_cohorts", "--season", "2026-01", stdout=out)
    assert "2026-01: 3 scores placed" in out.getvalue()
    numbers = dict(SeasonScore.objects.values_list("user_id", "cohort__number"))
    assert [numbers[p.pk] for p in players] == [1, 1, 2]
    call_command("assign_cohorts", "--season", "2026-01", stdout=StringIO())  # idempotent
    assert SeasonCohort.objects.count() == 2
