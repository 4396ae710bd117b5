"""Closing seasons: final standings, promotion and demotion, idempotence and resuming."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.services.seasons import closing
from seasons.models import Season, SeasonCloseStep, SeasonResult, SeasonScore
from seasons.tests.helpers import at, award_at
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import UserProfile

pytestmark = pytest.mark.django_db
JAN = "2026-01"


def league_of(user, mode="reality"):
    return getattr(UserProfile.objects.get(user=user), f"{mode}_league")


def make_board(size, league="silver", prefix="p"):
    """``size`` players in ``league`` with distinct January XP (the first is the best)."""
    players = [PlayerFactory(username=f"{prefix}{league}{i}") for i in range(size)]
    UserProfile.objects.filter(user__in=players).update(reality_league=league)
    for i, user in enumerate(players):
        award_at(user, 1000 - i, at("2026-01-15T12:00:00"))
    return players


def close():
    out = StringIO()
    call_command("close_seasons", "--no-progress", stdout=out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("size", "up", "down"),
    [(1, 0, 0), (2, 0, 0), (9, 0, 1), (10, 1, 2), (11, 1, 2), (20, 2, 4)],
)
def test_promotion_and_demotion_on_boards_of_awkward_sizes(size, up, down):
    players = make_board(size)
    close()
    leagues = [league_of(p) for p in players]
    assert leagues == ["gold"] * up + ["silver"] * (size - up - down) + ["bronze"] * down
    results = {r.user_id: r for r in SeasonResult.objects.filter(season_id=JAN, mode="reality")}
    assert [results[p.pk].rank for p in players] == list(range(1, size + 1))
    assert [results[p.pk].movement for p in players] == ["up"] * up + ["stay"] * (size - up - down) + ["down"] * down
    assert Season.objects.get(id=JAN).status == Season.CLOSED


def test_ties_share_a_rank_and_the_cut_follows_who_reached_first():
    players = [PlayerFactory(username=f"tie{i}") for i in range(10)]
    for i, user in enumerate(players):
        award_at(user, 500 if i < 3 else 100 - i, at(f"2026-01-0{i % 9 + 1}T00:00:00"))
    close()
    results = {r.user_id: r for r in SeasonResult.objects.filter(season_id=JAN, mode="reality")}
    assert [results[p.pk].rank for p in players[:3]] == [1, 1, 1]
    assert [results[p.pk].movement for p in players[:3]] == ["up", "stay", "stay"]  # tie 1 reached first


def test_players_without_xp_move_down_one_and_bronze_stays_bronze():
    make_board(3, league="bronze", prefix="x")  # makes January exist with players
    idle_gold, idle_bronze = PlayerFactory(username="idlegold"), PlayerFactory(username="idlebronze")
    UserProfile.objects.filter(user=idle_gold).update(reality_league="gold", cyber_league="diamond")
    late = PlayerFactory(username="latecomer")  # joined after January: not demoted for it
    UserProfile.objects.filter(user=late).update(reality_league="gold")
    CustomUser.objects.exclude(pk=late.pk).update(date_joined=at("2025-12-01T00:00:00"))
    close()
    assert league_of(late) == "gold"
    assert league_of(idle_gold) == "silver" and league_of(idle_gold, "cyber") == "platinum"
    assert league_of(idle_bronze) == "bronze"
    result = SeasonResult.objects.get(user=idle_gold, season_id=JAN, mode="reality")
    assert (result.xp, result.rank, result.league, result.new_league, result.movement) == (
        0,
        None,
        "gold",
        "silver",
        "down",
    )


def test_top_and_bottom_leagues_do_not_move_past_the_ends():
    ultra = make_board(10, league="ultra", prefix="u")
    bronze = make_board(10, league="bronze", prefix="b")
    close()
    assert league_of(ultra[0]) == "ultra" and league_of(ultra[-1]) == "diamond"
    assert league_of(bronze[0]) == "silver" and league_of(bronze[-1]) == "bronze"


def test_a_second_run_changes_nothing():
    players = make_board(11)
    first = close()
    snapshot = (
        list(SeasonResult.objects.order_by("pk").values_list()),
        list(UserProfile.objects.order_by("pk").values_list("reality_league", "cyber_league")),
    )
    assert "closed 2026-01" in first
    assert close().strip() == "no season to close"
    closing.close_season(Season.objects.get(id=JAN))  # even forced on the closed season
    assert snapshot == (
        list(SeasonResult.objects.order_by("pk").values_list()),
        list(UserProfile.objects.order_by("pk").values_list("reality_league", "cyber_league")),
    )
    assert len(players) == 11


def final_state():
    return (
        sorted(
            SeasonResult.objects.values_list("user__username", "mode", "xp", "rank", "league", "new_league", "movement")
        ),
        sorted(UserProfile.objects.values_list("user__username", "reality_league", "cyber_league")),
        sorted(SeasonScore.objects.values_list("user__username", "season_id", "mode", "league")),
        sorted(Season.objects.values_list("id", "status")),
    )


def build_mixed_world():
    """Several league boards, an idle player, a cyber player, and a February score that started
    in the old league; returns every player's leagues before the close."""
    for league, size in (("bronze", 11), ("silver", 10), ("gold", 9), ("diamond", 2)):
        make_board(size, league=league, prefix=f"w{size}")
    idle = PlayerFactory(username="idle")
    UserProfile.objects.filter(user=idle).update(reality_league="gold", cyber_league="silver")
    CustomUser.objects.update(date_joined=at("2025-12-01T00:00:00"))
    award_at(PlayerFactory(username="coder"), 77, at("2026-01-20T00:00:00"), mode="cyber")
    award_at(UserProfile.objects.get(user__username="w11bronze0").user, 5, at("2026-02-01T00:00:01"))
    return {
        u: (r, c) for u, r, c in UserProfile.objects.values_list("user__username", "reality_league", "cyber_league")
    }


def reopen(original_leagues):
    """Undo a close: the state right before it ran."""
    SeasonResult.objects.all().delete()
    SeasonCloseStep.objects.all().delete()
    Season.objects.update(status=Season.OPEN, closed_at=None)
    for username, (reality, cyber) in original_leagues.items():
        UserProfile.objects.filter(user__username=username).update(reality_league=reality, cyber_league=cyber)
        SeasonScore.objects.filter(user__username=username, season_id__gt=JAN, mode="reality").update(league=reality)
        SeasonScore.objects.filter(user__username=username, season_id__gt=JAN, mode="cyber").update(league=cyber)


class Crash(Exception):
    pass


def test_killed_halfway_and_rerun_ends_exactly_as_one_clean_run(monkeypatch):
    original = build_mixed_world()
    close()
    clean = final_state()
    assert SeasonScore.objects.get(user__username="w11bronze0", season_id="2026-02").league == "silver"
    reopen(original)

    real_move = closing._move_players
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash("killed inside a step")
        return real_move(*args, **kwargs)

    monkeypatch.setattr(closing, "_move_players", crash_on_third)
    with pytest.raises(Crash):
        closing.close_season(Season.objects.get(id=JAN))
    assert SeasonCloseStep.objects.count() == 2  # the crashed step left nothing behind
    monkeypatch.setattr(closing, "_move_players", real_move)

    steps = {"n": 0}

    def crash_between_steps(mode, step):
        steps["n"] += 1
        if steps["n"] == 4:
            raise Crash("killed between steps")

    with pytest.raises(Crash):
        closing.close_season(Season.objects.get(id=JAN), on_step=crash_between_steps)
    assert Season.objects.get(id=JAN).status == Season.OPEN
    assert "already done" in close()
    assert final_state() == clean


def test_the_running_season_and_one_inside_the_grace_period_stay_open():
    make_board(3)
    award_at(PlayerFactory(), 10, closing.utc_now())  # the current season
    Season.objects.filter(id=JAN).update(ends_at=closing.utc_now() - closing.CLOSE_GRACE / 2)
    assert close().strip() == "no season to close"
    assert set(Season.objects.values_list("status", flat=True)) == {Season.OPEN}
    Season.objects.filter(id=JAN).update(ends_at=closing.utc_now() - closing.CLOSE_GRACE * 2)
    assert "closed 2026-01" in close()


def test_later_scores_move_to_the_new_league_and_the_board_follows(api_client):
    players = make_board(10, league="silver")
    award_at(players[0], 50, at("2026-02-02T00:00:00"))
    close()
    assert SeasonScore.objects.get(user=players[0], season_id="2026-02").league == "gold"
    body = api_client.get("/api/v1/seasons/reality/", {"season": "2026-02", "league": "gold"}).json()
    assert [row["user"]["username"] for row in body["results"]] == [players[0].username]
    past = api_client.get("/api/v1/seasons/reality/", {"season": JAN, "league": "silver"}).json()
    assert len(past["results"]) == 10  # the closed season still shows who played in silver


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_the_same_moment_end_exactly_as_one():
    from tests.concurrency import run_at_once

    original = build_mixed_world()
    close()
    clean = final_state()
    reopen(original)

    def close_all(i):
        return [closing.close_season(season) for season in closing.seasons_to_close()]

    reports = [report for run in run_at_once(close_all, 2) for report in run]
    assert final_state() == clean
    steps_per_season = len(closing.MODES) * (len(closing.LEAGUES) + 1)
    assert sum(r.steps_run for r in reports) == steps_per_season * 2  # January and February, each step once


@pytest.mark.django_db(transaction=True)
def test_close_seasons_job_closes_ended_seasons_through_the_worker():
    from core.tasks import close_seasons
    from tests.jobs import run_pending_jobs

    make_board(3, prefix="job")
    close_seasons.defer(timestamp=0)
    run_pending_jobs(queues=["maintenance"])
    assert Season.objects.get(id=JAN).status == Season.CLOSED
    assert SeasonResult.objects.filter(season_id=JAN).count() == 3
