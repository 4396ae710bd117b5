"""What makes a secret unfit for production: a placeholder, too short, too little variety, or the
same value as another secret. Pure functions (no settings): production settings refuse to start
with any problem (ultrabackend/settings/production.py) and ``check --deploy`` reports the same
(ultrabackend/checks.py)."""

from __future__ import annotations

from collections.abc import Mapping

MIN_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 10
# Values from .env.example, documentation and Django's generated development keys.
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "django-insecure-", "insecure-")
PLACEHOLDER_WORDS = ("change-me", "changeme", "change_me", "placeholder", "replace-me", "your-secret", "example")


def weakness(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the secret ``name`` in production (None when it can)."""
    lowered = value.lower()
    if lowered.startswith(PLACEHOLDER_PREFIXES) or any(word in lowered for word in PLACEHOLDER_WORDS):
        return f"{name} is a placeholder value."
    if len(value) < MIN_LENGTH:
        return f"{name} is shorter than {MIN_LENGTH} characters."
    if len(set(value)) < MIN_DISTINCT_CHARACTERS:
        return f"{name} has too little variety to be random (fewer than {MIN_DISTINCT_CHARACTERS} distinct characters)."
    steps = {ord(b) - ord(a) for a, b in zip(value, value[1:], strict=False)}
    if len(steps) == 1:
        return f"{name} is a sequence, not a random value."
    return None


def problems(secrets: Mapping[str, str | None], *, required: tuple[str, ...] = ()) -> list[str]:
    """Every problem of ``secrets`` (name → value; empty or None: not set). A value may hold
    several comma-separated keys (FIELD_ENCRYPTION_KEY's rotation list): each is judged."""
    found: list[str] = []
    seen: dict[str, str] = {}
    for name, raw in secrets.items():
        if not raw:
            if name in required:
                found.append(f"{name} is not set.")
            continue
        parts = [p.strip() for p in raw.split(",")] if name == "FIELD_ENCRYPTION_KEY" else [raw]
        for part in parts:
            problem = weakness(name, part)
            if problem:
                found.append(problem)
            other = seen.get(part)
            if other is not None and other != name:
                found.append(f"{name} is the same value as {other}: every secret needs its own.")
            seen.setdefault(part, name)
    return list(dict.fromkeys(found))
