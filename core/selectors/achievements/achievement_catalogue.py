"""The achievements and the scheduled XP boosts held in this process for the award path.

Like the activity catalogue (activity_catalogue.py) it only saves queries: an award checks its
thresholds and boosts against this copy, so an award that crosses no threshold and falls in no
boost costs no query. The copy is reloaded at most every RELOAD_EVERY_SECONDS (and at once in the
process where an admin saves a change); what a stale copy misses, the retroactive grant job
(achievements.tasks) catches, and a boost created less than that long ago starts applying in each
process at its next reload (boosts are scheduled ahead: docs/domain.md).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from achievements.models import Achievement, XPBoost
from core.utils.dates import utc_now

RELOAD_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Catalogue:
    achievements: tuple[Achievement, ...] = ()
    by_kind: dict[str, tuple[Achievement, ...]] = field(default_factory=dict)
    boosts: tuple[XPBoost, ...] = ()  # every boost not ended when loaded, by start
    # Per kind, every (achievement, tier, threshold), read once at load: an award compares its
    # before and after values with these without building them again.
    tiers_by_kind: dict[str, tuple[tuple[Achievement, str, Decimal], ...]] = field(default_factory=dict)

    def of_kind(self, kind: str) -> tuple[Achievement, ...]:
        return self.by_kind.get(kind, ())

    def tiers_of_kind(self, kind: str) -> tuple[tuple[Achievement, str, Decimal], ...]:
        return self.tiers_by_kind.get(kind, ())

    def boosts_at(self, now: datetime) -> list[XPBoost]:
        return [b for b in self.boosts if b.starts_at <= now < b.ends_at]


_catalogue: Catalogue | None = None
_loaded_at = float("-inf")


def current() -> Catalogue:
    """This process's copy, loaded if missing or older than RELOAD_EVERY_SECONDS (2 queries)."""
    global _catalogue, _loaded_at
    if _catalogue is None or time.monotonic() - _loaded_at >= RELOAD_EVERY_SECONDS:
        achievements = tuple(Achievement.objects.filter(is_active=True))
        by_kind: dict[str, list[Achievement]] = defaultdict(list)
        for achievement in achievements:
            by_kind[achievement.kind].append(achievement)
        boosts = tuple(XPBoost.objects.filter(ends_at__gt=utc_now()).order_by("starts_at", "id"))
        tiers = {k: tuple((a, tier, value) for a in v for tier, value in a.thresholds()) for k, v in by_kind.items()}
        _catalogue = Catalogue(achievements, {k: tuple(v) for k, v in by_kind.items()}, boosts, tiers)
        _loaded_at = time.monotonic()
    return _catalogue


def forget_catalogue() -> None:
    """Drop this process's copy (an admin saved an achievement or a boost; tests)."""
    global _catalogue, _loaded_at
    _catalogue, _loaded_at = None, float("-inf")
