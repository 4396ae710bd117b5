"""Seasons: one calendar month (UTC) each. A season's row is made by the first XP write in it
(a CTE of the award statement, core/services/xp/store.py: the one place seasons are made, so
the write that made it knows its boards start empty and complete); reads never make one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from seasons.models import SeasonScore


@dataclass(frozen=True)
class ScoreState:
    """A season score row as the rank index mirrors it (``version`` orders the writes)."""

    user_id: int
    season_id: str
    mode: str
    xp: int
    league: str
    reached_at: datetime
    version: int


def score_state(score: SeasonScore) -> ScoreState:
    return ScoreState(
        user_id=score.user_id,
        season_id=score.season_id,
        mode=score.mode,
        xp=score.xp,
        league=score.league,
        reached_at=score.reached_at,
        version=score.version,
    )
