"""Season recognition at close: trophies for the top 3 of each mode's board and of each league's
board, and the season-finish achievements (season_rank, season_league). Idempotent: the unique
keys make a second run (a resumed close) add nothing."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from achievements.models import SEASON_LEAGUE, SEASON_RANK, Achievement, SeasonTrophy
from core.constants.modes import MODES
from core.services.achievements.unlocks import grant_to
from core.utils.dates import utc_now
from seasons.models import Season, SeasonResult

PODIUM = 3


def _podium(rows: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(user, xp, rank) of the players ranked 1 to 3 (competition ranking: ties share a rank),
    from rows ordered as the board is."""
    placed = []
    rank = 0
    for position, (user_id, xp) in enumerate(rows):
        if position == 0 or xp != rows[position - 1][1]:
            rank = position + 1
        if rank > PODIUM:
            break
        placed.append((user_id, xp, rank))
    return placed


def _top_rows(results: QuerySet[SeasonResult]) -> list[tuple[int, int]]:
    """(user, xp) of a board's podium candidates, best first: every row with at least the XP of
    the board's third row (so ties at the podium's edge are all read, and nothing more)."""
    edge = list(results.order_by("-xp").values_list("xp", flat=True)[PODIUM - 1 : PODIUM])
    rows = results if not edge else results.filter(xp__gte=edge[0])
    return list(rows.order_by("-xp", "user_id").values_list("user_id", "xp"))


def award_season_recognition(season: Season) -> int:
    """Trophies and season-finish achievements for the closed ``season``. Returns trophies added."""
    now = utc_now()
    trophies: list[SeasonTrophy] = []
    results = SeasonResult.objects.filter(season=season, rank__isnull=False, xp__gt=0)
    for mode in MODES:
        board = _top_rows(results.filter(mode=mode))
        trophies += [
            SeasonTrophy(user_id=u, season=season, mode=mode, league="", rank=r, xp=xp, awarded_at=now)
            for u, xp, r in _podium(board)
        ]
        for (league,) in results.filter(mode=mode).values_list("league").distinct():
            # The league's whole board (its cohorts together), not each cohort's own ranks.
            league_board = _top_rows(results.filter(mode=mode, league=league))
            trophies += [
                SeasonTrophy(user_id=u, season=season, mode=mode, league=league, rank=r, xp=xp, awarded_at=now)
                for u, xp, r in _podium(league_board)
            ]
    with transaction.atomic():
        before = SeasonTrophy.objects.filter(season=season).count()
        SeasonTrophy.objects.bulk_create(trophies, ignore_conflicts=True, batch_size=1000)
        added = SeasonTrophy.objects.filter(season=season).count() - before
        player_ids = list(SeasonResult.objects.filter(season=season).values_list("user_id", flat=True).distinct())
        for achievement in Achievement.objects.filter(is_active=True, kind__in=(SEASON_RANK, SEASON_LEAGUE)):
            for start in range(0, len(player_ids), 1000):
                grant_to(achievement, player_ids[start : start + 1000], now=now)
    return added
