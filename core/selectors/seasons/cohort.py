"""Cohort reads: a player's cohort board for a season and mode, and the cohorts a profile names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from core.constants.layers import layer_for_xp
from core.constants.leagues import LEAGUES, cohort_moves
from core.constants.modes import MODES
from seasons.models import SeasonCohort, SeasonResult, SeasonScore


@dataclass
class CohortRow:
    rank: int | None  # None: no XP this season
    user_id: int
    username: str
    display_name: str
    avatar_url: str | None
    xp: int
    level: int
    layer: str
    promotion_zone: bool = False
    demotion_zone: bool = False


@dataclass
class CohortBoard:
    cohort: SeasonCohort | None
    rows: list[CohortRow] = field(default_factory=list)
    me: CohortRow | None = None
    promotes: int = 0
    demotes: int = 0
    waiting: tuple[str, str] | None = None  # (league, mode): a score with no cohort yet (assignment cut off)


def cohort_ref(cohort_id: int | None, number: int | None, league: str | None) -> dict[str, Any] | None:
    return None if cohort_id is None else {"id": cohort_id, "number": number, "league": league}


def own_cohorts(user_id: int, season_id: str) -> dict[str, dict[str, Any] | None]:
    """The player's cohort per mode in ``season_id`` ({id, number, league}, or None)."""
    found = {
        mode: cohort_ref(cohort_id, number, league)
        for mode, cohort_id, number, league in SeasonScore.objects.filter(
            user_id=user_id, season_id=season_id, cohort__isnull=False
        ).values_list("mode", "cohort_id", "cohort__number", "cohort__league")
    }
    return {mode: found.get(mode) for mode in MODES}


def cohort_board(*, user_id: int, season_id: str, mode: str, closed: bool) -> CohortBoard:
    """The cohort ``user_id`` plays in: its players with XP ranked by season XP, then who reached
    it first (competition ranks 1, 2, 2, 4), each marked in the promotion or demotion zone; the
    player's own row even without XP. A closed season marks who actually moved."""
    own = SeasonScore.objects.filter(user_id=user_id, season_id=season_id, mode=mode).select_related("cohort").first()
    if own is None:
        return CohortBoard(cohort=None)
    if own.cohort is None:
        return CohortBoard(cohort=None, waiting=(own.league, mode))
    cohort = own.cohort
    scores = list(
        SeasonScore.objects.filter(cohort=cohort)
        .order_by("-xp", "reached_at", "user_id")
        .values_list(
            "user_id",
            "xp",
            "user__username",
            "user__display_name",
            "user__avatar_url",
            "user__profile__level",
            f"user__profile__{mode}_xp",
        )
    )
    ranked = [s for s in scores if s[1] > 0]
    up, down = cohort_moves(
        len(ranked), cohort.capacity, settings.COHORT_PROMOTE, settings.COHORT_DEMOTE, cohort.league
    )
    moved: dict[int, str] = {}
    if closed:
        moved = dict(SeasonResult.objects.filter(cohort=cohort).values_list("user_id", "movement"))
        up = sum(m == "up" for m in moved.values())
        down = sum(m == "down" for m in moved.values())
    rows: list[CohortRow] = []
    me: CohortRow | None = None
    for position, (uid, xp, username, display_name, avatar_url, level, mode_xp) in enumerate(scores):
        has_xp = xp > 0
        if not has_xp:
            rank = None
        elif position == 0 or xp != scores[position - 1][1]:
            rank = position + 1
        else:
            rank = rows[-1].rank
        if closed:
            promotion, demotion = moved.get(uid) == "up", moved.get(uid) == "down"
        else:
            # Without XP a player moves down at close like any inactive player (Bronze stays).
            promotion = has_xp and position < up
            demotion = position >= len(ranked) - down if has_xp else cohort.league != LEAGUES[0]
        row = CohortRow(
            rank=rank,
            user_id=uid,
            username=username,
            display_name=display_name or username,
            avatar_url=avatar_url or None,
            xp=xp,
            level=level or 1,
            layer=layer_for_xp(mode, mode_xp or 0).code,
            promotion_zone=promotion,
            demotion_zone=demotion,
        )
        if has_xp:
            rows.append(row)
        if uid == user_id:
            me = row
    return CohortBoard(cohort=cohort, rows=rows, me=me, promotes=up, demotes=down)
