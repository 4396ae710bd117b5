"""The level curve: level 1 at 0 XP; reaching level n (n >= 2) takes floor(100 * n**1.5) total XP.

Pure integer arithmetic (floor(100 * n**1.5) == isqrt(10_000 * n**3)), so no float can put a
boundary one XP off; lookups bisect a precomputed table (O(log n)).
"""

from bisect import bisect_right
from dataclasses import dataclass
from math import isqrt

MAX_LEVEL = 10_000  # reached at 100,000,000 XP


def xp_for_level(level: int) -> int:
    """Total XP needed to reach ``level``."""
    if level < 1:
        raise ValueError("levels start at 1")
    if level == 1:
        return 0
    return isqrt(10_000 * level**3)


# LEVEL_THRESHOLDS[i] is the XP at which level i + 1 starts.
LEVEL_THRESHOLDS: tuple[int, ...] = tuple(xp_for_level(n) for n in range(1, MAX_LEVEL + 1))


def level_for_xp(xp: int) -> int:
    """Level reached with ``xp`` total XP (negative XP counts as 0)."""
    if xp <= 0:
        return 1
    return bisect_right(LEVEL_THRESHOLDS, xp)


@dataclass(frozen=True)
class LevelProgress:
    current: int
    xp_into_level: int
    xp_for_next_level: int | None  # XP still needed; None at MAX_LEVEL
    progress: float


def level_progress(xp: int) -> LevelProgress:
    """Level, XP into it, XP still needed for the next one, and progress 0..1."""
    xp = max(xp, 0)
    level = level_for_xp(xp)
    start = LEVEL_THRESHOLDS[level - 1]
    if level >= MAX_LEVEL:
        return LevelProgress(level, xp - start, None, 1.0)
    end = LEVEL_THRESHOLDS[level]
    return LevelProgress(level, xp - start, end - xp, round((xp - start) / (end - start), 4))
