"""The reality and cyber layer ladders. A layer is reached at its mode's lifetime XP threshold.

Thresholds line up with the level curve: layer 1 at the XP of level 5, 2 at level 15, 3 at
level 30, X at level 50.
"""

from bisect import bisect_right
from dataclasses import dataclass

from .levels import xp_for_level
from .modes import CYBER, REALITY


@dataclass(frozen=True)
class Layer:
    code: str
    name: str
    mode: str
    order: int
    min_xp: int
    description: str


_THRESHOLD_LEVELS = (1, 5, 15, 30, 50)

LADDERS: dict[str, tuple[Layer, ...]] = {
    REALITY: tuple(
        Layer(code, name, REALITY, order, xp_for_level(_THRESHOLD_LEVELS[order]), description)
        for order, (code, name, description) in enumerate(
            [
                ("RL0", "Base", "Where every journey starts: showing up and moving."),
                ("RL1", "Emotion", "Training becomes a habit you feel; first real-life events open."),
                ("RL2", "Flow", "Consistency turns into flow; group challenges and harder events."),
                ("RL3", "Core", "Discipline is part of who you are; elite events and dungeons."),
                ("RLX", "Ultra", "The top of the reality ladder: you vs. you, every day."),
            ]
        )
    ),
    CYBER: tuple(
        Layer(code, name, CYBER, order, xp_for_level(_THRESHOLD_LEVELS[order]), description)
        for order, (code, name, description) in enumerate(
            [
                ("CL0", "Surface-Web", "The visible net: first lines of code and study."),
                ("CL1", "DeepNet", "Below the surface: regular coding and hack quests."),
                ("CL2", "Dark-Code", "Hard problems and cyber dungeons open up."),
                ("CL3", "Synthetic", "Human and machine skill merge; elite cyber events."),
                ("CLX", "VOID", "The end of the cyber ladder: nothing left but the void."),
            ]
        )
    ),
}

_MIN_XP: dict[str, tuple[int, ...]] = {
    mode: tuple(layer.min_xp for layer in ladder) for mode, ladder in LADDERS.items()
}
BY_CODE: dict[str, Layer] = {layer.code: layer for ladder in LADDERS.values() for layer in ladder}


def layer_for_xp(mode: str, xp: int) -> Layer:
    """The layer a player with ``xp`` lifetime XP in ``mode`` is in."""
    return LADDERS[mode][max(bisect_right(_MIN_XP[mode], xp) - 1, 0)]


def next_layer(layer: Layer) -> Layer | None:
    ladder = LADDERS[layer.mode]
    return ladder[layer.order + 1] if layer.order + 1 < len(ladder) else None


def layer_order_sql(mode: str, xp_expr: str) -> str:
    """A SQL CASE expression giving the layer order for ``xp_expr`` (built from the constants)."""
    whens = " ".join(f"WHEN {xp_expr} >= {layer.min_xp} THEN {layer.order}" for layer in reversed(LADDERS[mode][1:]))
    return f"(CASE {whens} ELSE 0 END)"
