"""A player's totals and identity as an XP write returns them and the profile reads them (shared
by the XP services and the profile selector: a selector never imports a service)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xp.models import UserProfile


@dataclass(frozen=True)
class ProfileTotals:
    total_xp: int
    reality_xp: int
    cyber_xp: int
    level: int
    reality_league: str
    cyber_league: str

    @classmethod
    def of(cls, profile: UserProfile) -> ProfileTotals:
        return cls(
            profile.total_xp,
            profile.reality_xp,
            profile.cyber_xp,
            profile.level,
            profile.reality_league,
            profile.cyber_league,
        )

    def mode_xp(self, mode: str) -> int:
        return int(getattr(self, f"{mode}_xp"))


@dataclass(frozen=True)
class PlayerIdentity:
    """What a player's profile shows of the account."""

    user_id: int
    username: str
    display_name: str
    avatar_url: str
    discord_id: str | None
