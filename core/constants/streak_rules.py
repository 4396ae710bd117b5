"""The streak rules as pure functions over local days (no ORM): the live path and the rebuild
from the ledger apply the same steps, so they agree (docs/domain.md "Streaks").

A streak counts consecutive local days with at least one award in a mode. Every 7th day of a
streak earns a freeze (at most 2 held). A missed day spends a held freeze by itself (the streak
goes on, the frozen day adds nothing); more missed days than freezes lose the streak. A player
may spend a freeze ahead on the next uncovered day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

MAX_FREEZES = 2
FREEZE_EVERY = 7
MILESTONES = (7, 30, 100, 365)


@dataclass
class Streak:
    current: int = 0
    longest: int = 0
    freezes: int = 0
    last_day: date | None = None  # the last local day covered (an award or a freeze)
    last_active_day: date | None = None  # the last local day with an award


@dataclass(frozen=True)
class Played:
    """What one day with an award did: the length of a streak it found lost, a milestone reached."""

    lost: int = 0
    milestone: int | None = None
    before: int = 0
    after: int = 0


def play(s: Streak, day: date) -> Played:
    """Count ``day`` (a local day with an award) into ``s``."""
    before = s.current
    if s.last_day is not None and day <= s.last_day:  # already covered (played or frozen)
        if s.last_active_day is None or day > s.last_active_day:
            s.last_active_day = day
        return Played(before=before, after=before)
    lost = 0
    if s.last_day is None or s.current == 0:
        s.current = 1
    else:
        missed = (day - s.last_day).days - 1
        if missed <= s.freezes:
            s.freezes -= missed
            s.current += 1
        else:
            lost, s.current, s.freezes = s.current, 1, 0
    if s.current % FREEZE_EVERY == 0:
        s.freezes = min(MAX_FREEZES, s.freezes + 1)
    s.longest = max(s.longest, s.current)
    s.last_day = s.last_active_day = day
    return Played(lost=lost, milestone=s.current if s.current in MILESTONES else None, before=before, after=s.current)


def settle(s: Streak, today: date) -> Streak:
    """``s`` as it stands on ``today``: the days missed before today spent held freezes, or lost it."""
    settled = replace(s)
    if settled.last_day is None or settled.current == 0:
        return settled
    missed = (today - settled.last_day).days - 1
    if missed <= 0:
        return settled
    if missed <= settled.freezes:
        settled.freezes -= missed
        settled.last_day = today - timedelta(days=1)
    else:
        settled.current, settled.freezes = 0, 0
    return settled


def freeze_ahead(s: Streak, today: date) -> date | None:
    """Spend a held freeze on the next uncovered day (returned) and apply it to ``s``. None: no
    streak alive or no freeze held (``s`` unchanged)."""
    settled = settle(s, today)
    if settled.current == 0 or settled.freezes == 0 or settled.last_day is None:
        return None
    day = settled.last_day + timedelta(days=1)
    settled.freezes -= 1
    settled.last_day = day
    s.current, s.longest, s.freezes, s.last_day = settled.current, settled.longest, settled.freezes, day
    return day


def lost_at_day(s: Streak, today: date) -> date | None:
    """The first local day on which the streak no longer exists unless the player earns XP before
    (held freezes included); None without a streak."""
    settled = settle(s, today)
    if settled.current == 0 or settled.last_day is None:
        return None
    return settled.last_day + timedelta(days=2 + settled.freezes)


def replay(days: list[date], frozen: list[date]) -> Streak:
    """The streak from scratch: local days with an award and days frozen ahead (the rebuild)."""
    s = Streak()
    # A freeze spent ahead on a day always came before an award on that day.
    for day, is_freeze in sorted(
        [(d, False) for d in set(days)] + [(d, True) for d in frozen], key=lambda x: (x[0], not x[1])
    ):
        if is_freeze:
            settled = settle(s, day)
            if settled.current and settled.freezes and settled.last_day == day - timedelta(days=1):
                s.current, s.freezes, s.last_day = settled.current, settled.freezes - 1, day
        else:
            play(s, day)
    return s
