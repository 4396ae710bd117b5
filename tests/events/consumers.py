"""Consumers the tests plug in through DOMAIN_EVENT_CONSUMERS."""

from __future__ import annotations

from events.models import DomainEvent

SEEN: list[tuple[str, int | None, int]] = []
FAILURES = {"left": 0}


def record_all(event: DomainEvent) -> None:
    SEEN.append((event.type, event.sequence, event.pk))


def level_ups_flaky(event: DomainEvent) -> None:
    """Fails the first times it is called (its job is retried)."""
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("the consumer's dependency is down")
    SEEN.append(("flaky:" + event.type, event.sequence, event.pk))


level_ups_flaky.event_types = ("level_up",)  # type: ignore[attr-defined]


def everything_with_volume(event: DomainEvent) -> None:
    SEEN.append(("volume:" + event.type, event.sequence, event.pk))


everything_with_volume.event_types = ("xp_awarded",)  # type: ignore[attr-defined]
