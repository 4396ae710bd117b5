"""What an XP write returns: the totals after it and what it moved (levels, layers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.constants.layers import Layer, layer_for_xp
from core.constants.levels import level_for_xp
from core.selectors.xp.totals import PlayerIdentity, ProfileTotals

if TYPE_CHECKING:
    from core.services.seasons.lifecycle import ScoreState
    from core.services.seasons.rank_index import IndexHint
    from core.services.xp.store import ActivityDay
    from xp.models import XPEntry


@dataclass(frozen=True)
class LevelUp:
    from_level: int
    to_level: int


@dataclass(frozen=True)
class LayerUp:
    """A layer change; ``to_layer`` is below ``from_layer`` when a correction moved it down."""

    mode: str
    from_layer: Layer
    to_layer: Layer


@dataclass(frozen=True)
class Award:
    entry: XPEntry
    profile: ProfileTotals
    # This season's XP per mode right after the entry (None: not known without another query).
    season_xp: dict[str, int | None]
    level_up: LevelUp | None
    layer_up: LayerUp | None
    duplicate: bool
    score: ScoreState | None = None  # the season score row after this entry
    index: IndexHint | None = None  # what the write learnt about the rank index
    # A checked award (``award_xp(credential=...)``) also returns what the statement proved and
    # read: the player's public identity, both season ranks, the writes counted in the quota.
    identity: PlayerIdentity | None = None
    ranks: dict[str, int | None] | None = None
    writes_in_window: int | None = None
    day: ActivityDay | None = None  # awards: the player's local day (streaks)
    # What the award caused beyond XP (achievements app): unlocked tiers and the boost applied.
    unlocked: tuple[Any, ...] = ()
    boost: Any = None
    open_quests: int = 0  # the player's open quests after the write (0: no quest to advance)
    quests: tuple[Any, ...] = ()  # quests this entry advanced (quests/services/progress.py QuestAdvance)


def level_change(total_after: int, xp: int) -> LevelUp | None:
    before, after = level_for_xp(total_after - xp), level_for_xp(total_after)
    return LevelUp(before, after) if before != after else None


def layer_change(mode: str, mode_after: int, xp: int) -> LayerUp | None:
    before, after = layer_for_xp(mode, mode_after - xp), layer_for_xp(mode, mode_after)
    return LayerUp(mode, before, after) if before != after else None
