"""A player's time zone: their local day for streaks (caps and seasons stay on UTC)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection

from core.exceptions import InvalidTimezone
from users.models import CustomUser


def set_timezone(*, user: CustomUser, timezone: object) -> CustomUser:
    """Set the player's IANA time zone. Raises InvalidTimezone for anything that is not a zone
    name both zoneinfo and PostgreSQL know (the award statement converts with PostgreSQL's)."""
    if not isinstance(timezone, str) or not known_zone(timezone):
        raise InvalidTimezone()
    user.timezone = timezone
    user.save(update_fields=["timezone"])
    return user


def known_zone(name: str) -> bool:
    if not name or len(name) > 64 or name != name.strip() or name.startswith("/") or ".." in name or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = %s)", [name])
        row = cursor.fetchone()
    return bool(row and row[0])


def set_streak_reminders(*, user: CustomUser, enabled: bool) -> CustomUser:
    """Opt in to (or out of) the streak reminder DM (sent only to players with a Discord id)."""
    user.streak_reminders = bool(enabled)
    user.save(update_fields=["streak_reminders"])
    return user
