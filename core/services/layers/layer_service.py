"""Layer-gated events and dungeons: the gate, joining and leaving, and rebuilding layer statuses.

Guarantees:

- The gate reads the player's lifetime XP in the event's mode (UserProfile, kept in the ledger's
  statement), so a player who just crossed a threshold can join at once.
- An event never takes more participants than its capacity, and nobody is booked twice, under
  any concurrency: the seat is taken by one conditional UPDATE of the event row (which holds the
  row lock until commit, so racing joins queue up and re-check the count), in the same
  transaction as the participation insert (whose unique constraint refuses a double booking).
- Joining is open from publication until the event ends (sign-up before the start and while it
  runs); leaving likewise. See docs/layers.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum

from core.constants.layers import BY_CODE, Layer, layer_for_xp
from core.constants.modes import MODES
from core.exceptions import AlreadyJoined, EventFull, EventNotOpen, LayerTooLow, NotJoined, UnknownEvent
from core.services.events import domain_events
from core.utils.dates import iso_utc, utc_now
from layers.models import CyberLayerStatus, Event, EventParticipation, LayerChange, RealityLayerStatus
from users.models import CustomUser
from xp.models import UserProfile, XPEntry

LAYER_STATUS_MODELS: dict[str, type[RealityLayerStatus] | type[CyberLayerStatus]] = {
    "reality": RealityLayerStatus,
    "cyber": CyberLayerStatus,
}
_MAX_ID = 2**63 - 1  # BigAutoField: a larger number in a URL is simply an unknown event

# An event's challenge follows its participants: joining or leaving the event joins or leaves
# the challenge in the same transaction. Registered by the quests app (quests/apps.py), whose
# challenge service joins the event in turn, so this module imports no quest code.
EVENT_HOOKS: dict[str, Callable[..., None]] = {}


# --- the gate ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """Where a player stands against an event's required layer."""

    required: Layer
    current: Layer
    missing_xp: int

    @property
    def passed(self) -> bool:
        return self.current.order >= self.required.order


def mode_xp_of(user: CustomUser) -> dict[str, int]:
    """The player's lifetime XP per mode (0 for a player without a profile)."""
    row = UserProfile.objects.filter(user_id=user.pk).values_list("reality_xp", "cyber_xp").first()
    reality, cyber = row if row else (0, 0)
    return {"reality": int(reality), "cyber": int(cyber)}


def gate_for(event: Event, mode_xp: int) -> Gate:
    required = BY_CODE[event.required_layer]
    return Gate(
        required=required, current=layer_for_xp(event.mode, mode_xp), missing_xp=max(required.min_xp - mode_xp, 0)
    )


def is_open(event: Event, now: datetime) -> bool:
    """Joinable (and leavable) from publication until the end: sign-up before the start is allowed."""
    return event.is_published and now < event.ends_at


# --- reads ------------------------------------------------------------------------------------


def parse_event_id(raw: str) -> int:
    """The id in a URL; anything that is not a plausible id is an unknown event (404, never 500)."""
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 0 < int(raw) <= _MAX_ID:
        raise UnknownEvent()
    return int(raw)


def listed_events(*, user: CustomUser | None = None, now: datetime | None = None) -> QuerySet[Event]:
    """Published events that have not ended (upcoming and running), soonest first; for a signed-in
    player each carries ``joined`` (annotated in the same query: no N+1)."""
    now = now or utc_now()
    qs = Event.objects.filter(is_published=True, ends_at__gt=now).order_by("starts_at", "id")
    if user is not None:
        qs = qs.annotate(joined=Exists(EventParticipation.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)))
    return qs


def get_event(event_id: int | str, *, user: CustomUser | None = None) -> Event:
    """A published event (ended ones too, so a link keeps working); raises UnknownEvent."""
    pk = parse_event_id(event_id) if isinstance(event_id, str) else event_id
    qs = Event.objects.filter(is_published=True)
    if user is not None:
        qs = qs.annotate(joined=Exists(EventParticipation.objects.filter(event_id=OuterRef("pk"), user_id=user.pk)))
    event = qs.filter(pk=pk).first()
    if event is None:
        raise UnknownEvent()
    return event


def can_join(event: Event, gate: Gate, *, joined: bool, now: datetime) -> bool:
    """Whether a join request now would succeed (as far as this read can tell)."""
    full = event.capacity is not None and event.participant_count >= event.capacity
    return gate.passed and not joined and not full and is_open(event, now)


def participants(event: Event) -> QuerySet[EventParticipation]:
    return EventParticipation.objects.filter(event=event).select_related("user").order_by("joined_at", "id")


# --- writes -----------------------------------------------------------------------------------


def join_event(*, user: CustomUser, event: Event) -> EventParticipation:
    """Book ``user`` a seat. Raises UnknownEvent (unpublished), EventNotOpen (ended), LayerTooLow
    (details: required_layer, current_layer, missing_xp), AlreadyJoined, EventFull."""
    if not event.is_published:
        raise UnknownEvent()
    now = utc_now()
    if not is_open(event, now):
        raise EventNotOpen(starts_at=iso_utc(event.starts_at), ends_at=iso_utc(event.ends_at))
    gate = gate_for(event, mode_xp_of(user)[event.mode])
    if not gate.passed:
        raise LayerTooLow(
            required_layer=gate.required.code, current_layer=gate.current.code, missing_xp=gate.missing_xp
        )
    # Checked before the seat so a member of a full event hears "already joined"; the unique
    # constraint below is what actually guarantees it under races.
    if EventParticipation.objects.filter(event_id=event.pk, user_id=user.pk).exists():
        raise AlreadyJoined()
    try:
        with transaction.atomic():
            taken = Event.objects.filter(
                Q(capacity__isnull=True) | Q(participant_count__lt=F("capacity")),
                pk=event.pk,
                is_published=True,
                ends_at__gt=now,
            ).update(participant_count=F("participant_count") + 1)
            if not taken:
                _refuse_seat(event.pk, now)
            participation = EventParticipation.objects.create(event_id=event.pk, user_id=user.pk)
            domain_events.record([domain_events.participation_event("event_joined", user.pk, event)], now=now)
            if hook := EVENT_HOOKS.get("joined"):
                hook(user_id=user.pk, event=event, now=now)  # its challenge, if any
    except IntegrityError:
        # The same player racing themself: the other request booked the seat (this one's
        # increment rolled back with the transaction).
        raise AlreadyJoined() from None
    event.participant_count = Event.objects.values_list("participant_count", flat=True).get(pk=event.pk)
    participation.event = event
    return participation


def leave_event(*, user: CustomUser, event: Event) -> None:
    """Give the seat back. Raises UnknownEvent (unpublished), EventNotOpen (ended: the list of who
    took part is history), NotJoined."""
    if not event.is_published:
        raise UnknownEvent()
    now = utc_now()
    if not is_open(event, now):
        raise EventNotOpen(starts_at=iso_utc(event.starts_at), ends_at=iso_utc(event.ends_at))
    with transaction.atomic():
        deleted, _ = EventParticipation.objects.filter(event_id=event.pk, user_id=user.pk).delete()
        if not deleted:
            raise NotJoined()
        Event.objects.filter(pk=event.pk).update(participant_count=F("participant_count") - 1)
        domain_events.record([domain_events.participation_event("event_left", user.pk, event)], now=now)
        if hook := EVENT_HOOKS.get("left"):
            hook(user_id=user.pk, event=event)
    event.participant_count = Event.objects.values_list("participant_count", flat=True).get(pk=event.pk)


def release_seats(*, user: CustomUser, now: datetime) -> int:
    """Account erasure: give back ``user``'s seats in every event that has not ended, each
    event's participant_count decremented in the caller's transaction (``event_left`` recorded).
    Past participations stay: who took part is history. The number of seats given back."""
    taken = list(
        EventParticipation.objects.select_for_update()
        .filter(user_id=user.pk, event__ends_at__gt=now)
        .select_related("event")
        .order_by("event_id")  # one lock order for every caller
    )
    for participation in taken:
        participation.delete()
        Event.objects.filter(pk=participation.event_id).update(participant_count=F("participant_count") - 1)
    if taken:
        domain_events.record(
            [domain_events.participation_event("event_left", user.pk, p.event) for p in taken], now=now
        )
    return len(taken)


def _refuse_seat(event_id: int, now: datetime) -> None:
    """Why the conditional UPDATE matched nothing (raises)."""
    current = Event.objects.filter(pk=event_id).first()
    if current is None or not current.is_published:
        raise UnknownEvent()
    if not is_open(current, now):
        raise EventNotOpen(starts_at=iso_utc(current.starts_at), ends_at=iso_utc(current.ends_at))
    raise EventFull(capacity=current.capacity)


# --- rebuilding layer statuses ----------------------------------------------------------------


@dataclass(frozen=True)
class LayerDiff:
    user_id: int
    username: str
    mode: str
    stored: int  # order in the status table (0 when the row is missing)
    expected: int  # order from the ledger sum
    mode_xp: int


def _ledger_sums(user_ids: Iterable[int] | None = None) -> dict[tuple[int, str], int]:
    qs = XPEntry.objects.all()
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    rows = qs.values("user_id", "mode").annotate(xp=Sum("xp")).order_by()
    return {(row["user_id"], row["mode"]): int(row["xp"] or 0) for row in rows}


def _stored_layers(mode: str, user_ids: Iterable[int] | None = None) -> dict[int, int]:
    qs = LAYER_STATUS_MODELS[mode].objects.all()
    if user_ids is not None:
        qs = qs.filter(user_id__in=list(user_ids))
    return dict(qs.values_list("user_id", "layer"))


def recompute_layers(
    *, dry_run: bool = False, progress: Any = None, user_ids: Iterable[int] | None = None
) -> list[LayerDiff]:
    """Rebuild every reality/cyber layer status from the ledger sums; each fix is recorded as a
    LayerChange with reason "recompute". Returns what differed (``dry_run``: changes nothing).

    ``progress`` wraps the iteration over players (a tqdm factory, for example). A first pass
    compares in bulk; each differing player is then re-checked and fixed under the lock of their
    profile row, the lock award_xp takes first, so a concurrent award is never overwritten."""

    sums = _ledger_sums(user_ids)
    stored = {mode: _stored_layers(mode, user_ids) for mode in MODES}
    candidates = sorted({uid for uid, _ in sums} | {uid for mode in MODES for uid in stored[mode]})
    names = dict(CustomUser.objects.filter(pk__in=candidates).values_list("pk", "username"))
    iterator: Iterator[int] | Any = progress(candidates) if progress else candidates
    diffs: list[LayerDiff] = []
    for uid in iterator:
        for mode in MODES:
            xp = sums.get((uid, mode), 0)
            expected = layer_for_xp(mode, xp).order
            if stored[mode].get(uid, 0) == expected:
                continue
            seen = LayerDiff(uid, names.get(uid, "?"), mode, stored[mode].get(uid, 0), expected, xp)
            fixed = seen if dry_run else _fix_layer(uid, mode, seen)
            if fixed is not None:
                diffs.append(fixed)
    return diffs


def _fix_layer(user_id: int, mode: str, seen: LayerDiff) -> LayerDiff | None:
    with transaction.atomic():
        # award_xp locks (or creates) this row before touching anything of the player's.
        list(UserProfile.objects.select_for_update().filter(user_id=user_id))
        xp = _ledger_sums([user_id]).get((user_id, mode), 0)
        expected = layer_for_xp(mode, xp).order
        model = LAYER_STATUS_MODELS[mode]
        row = model.objects.select_for_update().filter(user_id=user_id).first()
        current = row.layer if row else 0
        if current == expected:
            return None  # fixed meanwhile by an award
        now = utc_now()
        model.objects.update_or_create(user_id=user_id, defaults={"layer": expected, "reached_at": now})
        LayerChange.objects.create(
            user_id=user_id,
            mode=mode,
            from_layer=current,
            to_layer=expected,
            entry=None,
            reason="recompute",
            created_at=now,
        )
    return LayerDiff(user_id, seen.username, mode, current, expected, xp)
