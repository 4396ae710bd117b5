"""When a self-reported entry may be implausible (docs/domain.md "Claims"): pure, no database."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

# What "a month" is for the review limits: the last 30 days.
MONTH = timedelta(days=30)
# Only entries above this share of review_above are judged against the player's history.
HISTORY_FROM = Decimal("0.5")


def needs_judgement(activity: Any, units: Decimal) -> bool:
    """Whether ``units`` of ``activity`` may be implausible (no database needed to say no)."""
    above = activity.review_above
    return above is not None and units > above * HISTORY_FROM
