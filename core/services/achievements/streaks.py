"""Writing streak state: a day played (from the award path), a freeze spent ahead, the rebuild
from the ledger. The rules themselves are pure (core/constants/streak_rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from achievements.models import StreakFreeze, StreakState
from core.constants import streak_rules
from core.constants.modes import MODES
from core.constants.streak_rules import Played, Streak
from core.exceptions import NoActiveStreak, NoStreakFreeze, UnknownMode
from core.services.events import domain_events
from core.utils.dates import utc_now
from events.models import STREAK_LOST, STREAK_MILESTONE
from users.models import CustomUser
from xp.models import XPEntry


def local_today(user: CustomUser, now: datetime | None = None) -> date:
    return (now or utc_now()).astimezone(ZoneInfo(user.timezone or "UTC")).date()


def _as_rule(state: StreakState) -> Streak:
    return Streak(state.current, state.longest, state.freezes, state.last_day, state.last_active_day)


def _store(state: StreakState, s: Streak) -> None:
    state.current, state.longest, state.freezes = s.current, s.longest, s.freezes
    state.last_day, state.last_active_day = s.last_day, s.last_active_day
    state.save(update_fields=["current", "longest", "freezes", "last_day", "last_active_day", "updated_at"])


def _locked_state(user_id: int, mode: str) -> StreakState:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StreakState._meta.db_table} (user_id, mode, current, longest, freezes, updated_at) "
            "VALUES (%s, %s, 0, 0, 0, now()) ON CONFLICT (user_id, mode) DO NOTHING",
            [user_id, mode],
        )
    return StreakState.objects.select_for_update().get(user_id=user_id, mode=mode)


@dataclass(frozen=True)
class DayPlayed:
    mode: str
    played: Played


def play_day(*, user_id: int, mode: str, day: date) -> DayPlayed:
    """Count the local ``day`` (the player's first award of it in ``mode``) into the streak and
    record streak_lost / streak_milestone. A day before the last one the streak counted (an
    approved claim counts on the day it was submitted) recomputes the streak from the ledger
    instead, as the rebuild does, so the two always agree. Runs in the caller's transaction (a
    savepoint)."""
    with transaction.atomic():
        state = _locked_state(user_id, mode)
        s = _as_rule(state)
        if s.last_day is not None and day < s.last_day:
            rebuilt = replayed(user_id, mode)
            crossed = [m for m in streak_rules.MILESTONES if s.current < m <= rebuilt.current]
            played = Played(milestone=max(crossed, default=None), before=s.current, after=rebuilt.current)
            _store(state, rebuilt)
        else:
            played = streak_rules.play(s, day)
            crossed = [played.milestone] if played.milestone else []
            _store(state, s)
        events = []
        if played.lost:
            events.append(domain_events.NewEvent(STREAK_LOST, user_id, {"mode": mode, "days": played.lost}))
        for milestone in crossed:
            events.append(domain_events.NewEvent(STREAK_MILESTONE, user_id, {"mode": mode, "days": milestone}))
        if events:
            domain_events.record(events)
    return DayPlayed(mode, played)


def freeze_ahead(*, user: CustomUser, mode: str) -> date:
    """Spend one held freeze in ``mode`` on the next uncovered local day (returned).
    Raises UnknownMode, NoActiveStreak, NoStreakFreeze."""
    if mode not in MODES:
        raise UnknownMode(mode=mode)
    now = utc_now()
    today = local_today(user, now)
    with transaction.atomic():
        state = _locked_state(user.pk, mode)
        s = _as_rule(state)
        settled = streak_rules.settle(s, today)
        if settled.current == 0:
            raise NoActiveStreak(mode=mode)
        if settled.freezes == 0:
            raise NoStreakFreeze(mode=mode)
        day = streak_rules.freeze_ahead(s, today)
        assert day is not None
        _store(state, s)
        StreakFreeze.objects.create(user_id=user.pk, mode=mode, day=day, spent_at=now)
    return day


def replayed(user_id: int, mode: str) -> Streak:
    """The streak as the ledger says: local days of award entries and the freezes spent ahead."""
    days = [
        day
        for day in XPEntry.objects.filter(user_id=user_id, mode=mode, corrects__isnull=True, local_day__isnull=False)
        .values_list("local_day", flat=True)
        .distinct()
        if day is not None
    ]
    frozen = list(StreakFreeze.objects.filter(user_id=user_id, mode=mode).values_list("day", flat=True))
    return streak_rules.replay(days, frozen)


def rebuild(user_id: int, *, write: bool = True) -> dict[str, tuple[Streak, Streak | None]]:
    """Recompute the player's streaks from the ledger. Returns per mode (rebuilt, stored before)."""
    found: dict[str, tuple[Streak, Streak | None]] = {}
    with transaction.atomic():
        for mode in MODES:
            rebuilt = replayed(user_id, mode)
            stored = StreakState.objects.select_for_update().filter(user_id=user_id, mode=mode).first()
            found[mode] = (rebuilt, _as_rule(stored) if stored else None)
            if write and (stored is not None or rebuilt.last_day is not None):
                _store(stored or _locked_state(user_id, mode), rebuilt)
    return found


REMIND_HOURS_BEFORE = 4


def due_reminders(now: datetime | None = None) -> list[tuple[CustomUser, str, datetime]]:
    """Streak reminders to send now, each marked as sent (``reminded_for``) in this transaction:
    players who opted in, have a Discord id, a streak alive in the mode, nothing logged today,
    and at most REMIND_HOURS_BEFORE hours until the streak would be lost (freezes included)."""
    now = now or utc_now()
    due = []
    with transaction.atomic():
        states = (
            StreakState.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(current__gt=0, user__streak_reminders=True, user__is_active=True, user__discord_id__isnull=False)
            .select_related("user")
        )
        for state in states:
            zone = ZoneInfo(state.user.timezone or "UTC")
            today = now.astimezone(zone).date()
            s = _as_rule(state)
            lost_day = streak_rules.lost_at_day(s, today)
            if lost_day is None or s.last_active_day == today:
                continue
            ends_at = datetime.combine(lost_day, time(), tzinfo=zone)
            if ends_at - now > timedelta(hours=REMIND_HOURS_BEFORE) or state.reminded_for == ends_at:
                continue
            state.reminded_for = ends_at
            state.save(update_fields=["reminded_for"])
            due.append((state.user, state.mode, ends_at))
    return due
