"""Closing a season: final ranks and leagues, promotion and demotion (idempotent, resumable)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from core.constants.leagues import LEAGUES, league_down, league_up, promotion_counts
from core.constants.modes import MODES
from core.services import domain_events
from core.services.achievements.trophies import award_season_recognition
from core.services.seasons.lifecycle import ScoreState, score_state
from core.services.seasons.rank_index import BATCH_SIZE, reindex_on_commit
from core.utils.dates import utc_now
from seasons.models import Season, SeasonCloseStep, SeasonResult, SeasonScore
from xp.models import UserProfile

CLOSE_GRACE = timedelta(minutes=5)  # let requests that started before midnight finish first
INACTIVE_STEP = "inactive"


@dataclass(frozen=True)
class CloseReport:
    season_id: str
    steps_run: int
    steps_skipped: int
    moved_up: int
    moved_down: int


def seasons_to_close(now: datetime | None = None) -> list[Season]:
    """Ended seasons (past the grace period) that are not closed yet, oldest first."""
    now = now or utc_now()
    return list(Season.objects.filter(status=Season.OPEN, ends_at__lte=now - CLOSE_GRACE).order_by("id"))


def close_season(season: Season, *, on_step: Callable[[str, str], object] | None = None) -> CloseReport:
    """Close ``season``: store every player's final rank and league and move leagues.

    Safe to run any number of times and to resume after a crash: each unit (one league board of
    one mode, or one mode's players without XP) commits together with a SeasonCloseStep row,
    and a unit that has its row is never run again. Units do not depend on each other: a board
    is read from SeasonScore.league (the league played in that season), never from the profile.
    """
    run = skipped = up_total = down_total = 0
    for mode in MODES:
        for step in (*LEAGUES, INACTIVE_STEP):
            with transaction.atomic():
                # Two runs at once (two schedulers) take turns on the season row and the second
                # finds the step done. NO KEY UPDATE: awards' foreign-key checks on the row
                # (FOR KEY SHARE) are not blocked, so this lock cannot deadlock with them.
                Season.objects.select_for_update(no_key=True).filter(pk=season.pk).first()
                if SeasonCloseStep.objects.filter(season=season, mode=mode, step=step).exists():
                    skipped += 1
                    continue
                if step == INACTIVE_STEP:
                    up, down, changed = 0, *_close_inactive(season, mode)
                else:
                    up, down, changed = _close_league_board(season, mode, step)
                SeasonCloseStep.objects.create(
                    season=season, mode=mode, step=step, players=up + down, done_at=utc_now()
                )
                reindex_on_commit(changed)
            run += 1
            up_total += up
            down_total += down
            if on_step:
                on_step(mode, step)
    with transaction.atomic():
        closed_at = utc_now()
        if Season.objects.filter(pk=season.pk, status=Season.OPEN).update(status=Season.CLOSED, closed_at=closed_at):
            domain_events.record([domain_events.season_closed_event(season.id, closed_at)], now=closed_at)
    award_season_recognition(season)  # trophies and season-finish achievements (issue 26)
    return CloseReport(season.id, run, skipped, up_total, down_total)


def _move_players(season: Season, mode: str, moves: dict[str, list[int]]) -> list[ScoreState]:
    """Set the new league on the profiles and on the player's scores of later seasons (which
    started in the old league), and return those scores for the index."""
    changed: list[ScoreState] = []
    league_field = f"{mode}_league"
    for new_league, user_ids in moves.items():
        for chunk_start in range(0, len(user_ids), BATCH_SIZE):
            chunk = user_ids[chunk_start : chunk_start + BATCH_SIZE]
            UserProfile.objects.filter(user_id__in=chunk).update(**{league_field: new_league})
            later = SeasonScore.objects.filter(user_id__in=chunk, mode=mode, season_id__gt=season.id)
            later.update(league=new_league, version=F("version") + 1)
            changed += [score_state(s) for s in later]
    return changed


def _close_league_board(season: Season, mode: str, league: str) -> tuple[int, int, list[ScoreState]]:
    rows = list(
        SeasonScore.objects.filter(season=season, mode=mode, league=league, xp__gt=0)
        .order_by("-xp", "reached_at", "user_id")
        .values_list("user_id", "xp")
    )
    up_count, down_count = promotion_counts(len(rows))
    results: list[SeasonResult] = []
    moves: dict[str, list[int]] = {}
    rank = 0
    for position, (user_id, xp) in enumerate(rows):
        if position == 0 or xp != rows[position - 1][1]:
            rank = position + 1
        if position < up_count:
            new_league, movement = league_up(league), "up"
        elif position >= len(rows) - down_count:
            new_league, movement = league_down(league), "down"
        else:
            new_league, movement = league, "stay"
        if new_league == league:
            movement = "stay"  # already at the top or bottom of the ladder
        else:
            moves.setdefault(new_league, []).append(user_id)
        results.append(
            SeasonResult(
                user_id=user_id,
                season=season,
                mode=mode,
                xp=xp,
                rank=rank,
                league=league,
                new_league=new_league,
                movement=movement,
            )
        )
    SeasonResult.objects.bulk_create(results, batch_size=BATCH_SIZE)
    domain_events.record(domain_events.league_events(results))
    ups = sum(r.movement == "up" for r in results)
    downs = sum(r.movement == "down" for r in results)
    return ups, downs, _move_players(season, mode, moves)


def _close_inactive(season: Season, mode: str) -> tuple[int, list[ScoreState]]:
    """Players with no XP in the season move down one league (Bronze stays Bronze)."""
    league_field = f"{mode}_league"
    active = SeasonScore.objects.filter(season=season, mode=mode, xp__gt=0).values("user_id")
    inactive = (
        UserProfile.objects.exclude(**{league_field: LEAGUES[0]})
        .exclude(user_id__in=active)
        .filter(user__date_joined__lt=season.ends_at)
        .values_list("user_id", league_field)
    )
    results: list[SeasonResult] = []
    moves: dict[str, list[int]] = {}
    for user_id, league in inactive.iterator(chunk_size=BATCH_SIZE):
        new_league = league_down(league)
        moves.setdefault(new_league, []).append(user_id)
        results.append(
            SeasonResult(
                user_id=user_id,
                season=season,
                mode=mode,
                xp=0,
                rank=None,
                league=league,
                new_league=new_league,
                movement="down",
            )
        )
    SeasonResult.objects.bulk_create(results, batch_size=BATCH_SIZE)
    domain_events.record(domain_events.league_events(results))
    return len(results), _move_players(season, mode, moves)
