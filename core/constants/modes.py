"""The two modes every activity, score and layer belongs to."""

REALITY = "reality"
CYBER = "cyber"
MODES: tuple[str, ...] = (REALITY, CYBER)
MODE_CHOICES = [(REALITY, "Reality"), (CYBER, "Cyber")]


def other_mode(mode: str) -> str:
    """The mode that is not ``mode``."""
    return CYBER if mode == REALITY else REALITY
