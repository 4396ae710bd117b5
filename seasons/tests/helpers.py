"""Helpers to put XP on the ledger at a chosen moment (through the real XP service)."""

from datetime import UTC, datetime
from decimal import Decimal
from unittest import mock

from core.services.xp import award as xp_award
from xp.models import ActivityType

_ACTIVITIES: dict[str, ActivityType] = {}


def activity(mode: str = "reality") -> ActivityType:
    """A 1-XP-per-unit activity with no daily cap, so any XP value can be awarded exactly."""
    obj, _ = ActivityType.objects.get_or_create(
        key=f"season_test_{mode}",
        defaults={
            "name": f"Season test {mode}",
            "mode": mode,
            "unit": "point",
            "xp_per_unit": Decimal("1"),
            "max_units_per_entry": Decimal("10000000"),
            "daily_unit_cap": None,
        },
    )
    return obj


def award_at(user, xp: int, moment: datetime, mode: str = "reality"):  # type: ignore[no-untyped-def]
    with mock.patch.object(xp_award, "utc_now", return_value=moment):
        return xp_award.award_xp(user=user, activity=activity(mode), units=Decimal(xp), source="import")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
