"""A settable clock for the award path, the streak reads and the freeze (every module that asks
core.utils.dates.utc_now for the time)."""

from __future__ import annotations

from datetime import datetime

import pytest

MODULES = (
    "core.services.xp.award",
    "core.services.claims.submission",
    "core.selectors.achievements.achievements",
    "core.services.achievements.streaks",
    "core.services.achievements.unlocks",
    "achievements.tasks",
)


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
        self.now = now
        for module in MODULES:
            monkeypatch.setattr(f"{module}.utc_now", lambda: self.now)

    def set(self, now: datetime) -> None:
        self.now = now
