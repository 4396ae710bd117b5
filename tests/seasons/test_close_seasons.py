"""Closing seasons: final standings, promotion and demotion per cohort, idempotence and resuming."""

from io import StringIO

import pytest
from django.core.management import call_command

from core.services.seasons import closing
from seasons.models import Season, SeasonCloseStep, SeasonCohort, SeasonResult, SeasonScore
from tests.seasons.helpers import at, award_at
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
    [(1, 0, 0), (2, 1, 0), (5, 1, 0), (9, 2, 1), (10, 2, 1), (11, 2, 1), (20, 4, 3), (30, 7, 5)],
)
def test_promotion_and_demotion_in_cohorts_of_awkward_sizes(size, up, down):
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
    # A cohort of 10 moves 2 up: the two of the tie who reached 500 first.
    assert [results[p.pk].movement for p in players[:3]] == ["up", "up", "stay"]


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
    SeasonCohort.objects.update(closed_at=None)
    Season.objects.update(status=Season.OPEN, closed_at=None)
    for username, (reality, cyber) in original_leagues.items():
        UserProfile.objects.filter(user__username=username).update(reality_league=reality, cyber_league=cyber)
        SeasonScore.objects.filter(user__username=username, season_id__gt=JAN, mode="reality").update(league=reality)
        SeasonScore.objects.filter(user__username=username, season_id__gt=JAN, mode="cyber").update(league=cyber)


class Crash(Exception):
    pass


def test_killed_halfway_and_rerun_ends_exactly_as_one_clean_run(monkeypatch, settings):
    settings.SEASON_CLOSE_CHUNK = 30  # one cohort per chunk, 30 idle players per chunk
    original = build_mixed_world()
    close()
    clean = final_state()
    assert SeasonScore.objects.get(user__username="w11bronze0", season_id="2026-02").league == "silver"
    reopen(original)
    from events.models import DomainEvent

    events_before = DomainEvent.objects.order_by("-id").values_list("id", flat=True).first()

    real_chunk = closing._close_cohort_chunk
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            real_chunk(*args, **kwargs)  # the chunk's work is done, then the process dies before commit
            raise Crash("killed inside a chunk")
        return real_chunk(*args, **kwargs)

    monkeypatch.setattr(closing, "_close_cohort_chunk", crash_on_third)
    with pytest.raises(Crash):
        closing.close_season(Season.objects.get(id=JAN))
    assert SeasonCloseStep.objects.count() == 0
    assert SeasonCohort.objects.filter(season_id=JAN, closed_at__isnull=False).count() == 2  # two chunks committed
    assert SeasonResult.objects.count() == 11 + 10  # the bronze and silver cohorts, nothing of the third
    monkeypatch.setattr(closing, "_close_cohort_chunk", real_chunk)

    steps = {"n": 0}

    def crash_between_steps(mode, step):
        steps["n"] += 1
        if steps["n"] == 3:
            raise Crash("killed between steps")

    with pytest.raises(Crash):
        closing.close_season(Season.objects.get(id=JAN), on_step=crash_between_steps)
    assert Season.objects.get(id=JAN).status == Season.OPEN
    assert "already done" in close()
    assert final_state() == clean
    # Every player moved exactly once: one result per player and mode, one league_changed per move.
    moves = SeasonResult.objects.filter(season_id=JAN).exclude(movement="stay").count()
    events = DomainEvent.objects.filter(type="league_changed", data__season=JAN, id__gt=events_before)
    assert events.count() == moves == events.values("user_id", "data__mode").distinct().count()


def test_each_cohort_of_a_league_moves_its_own_counts(settings):
    settings.COHORT_SIZE, settings.COHORT_PROMOTE, settings.COHORT_DEMOTE = 10, 3, 2
    players = make_board(15, league="silver")  # in order of arrival: the first 10 fill cohort 1
    cohort_of = dict(SeasonScore.objects.values_list("user_id", "cohort__number"))
    assert [cohort_of[p.pk] for p in players] == [1] * 10 + [2] * 5
    close()
    results = {r.user_id: r for r in SeasonResult.objects.all()}
    one, two = players[:10], players[10:]
    assert [results[p.pk].rank for p in one] == list(range(1, 11))  # ranks within the cohort
    assert [results[p.pk].rank for p in two] == [1, 2, 3, 4, 5]
    assert [results[p.pk].movement for p in one] == ["up"] * 3 + ["stay"] * 5 + ["down"] * 2
    assert [results[p.pk].movement for p in two] == ["up"] + ["stay"] * 3 + ["down"]  # 5 of 10: 1 up, 1 down
    assert {results[p.pk].cohort.number for p in two} == {2}


def test_the_cohort_board_of_a_closed_season_shows_who_moved(api_client):
    players = make_board(5)
    close()
    api_client.force_login(players[0])
    body = api_client.get("/api/v1/leaderboards/cohort/reality/", {"season": JAN}).json()
    assert body["season_status"] == "closed" and body["league"] == "silver"
    assert [row["promotion_zone"] for row in body["results"]] == [True, False, False, False, False]
    assert (body["cohort"]["promotes"], body["cohort"]["demotes"]) == (1, 0)
    seasons = api_client.get("/api/v1/user/seasons/").json()["results"]
    assert seasons[0]["cohort_rank"] == 1 and seasons[0]["movement"] == "up"
    assert seasons[0]["cohort"] == {"id": body["cohort"]["id"], "number": 1, "league": "silver"}


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
    steps_per_season = len(closing.MODES) * len(closing.CLOSE_STEPS)
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
