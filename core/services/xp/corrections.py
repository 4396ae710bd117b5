"""Corrections: an audited reversal of a ledger entry, written by the same statement as awards."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError

from core.exceptions import AlreadyCorrected, NotCorrectable, ReasonRequired
from core.services.seasons import rank_index
from core.services.xp import hooks, store
from core.services.xp.results import Award
from core.utils.dates import utc_now
from xp.models import XPEntry

if TYPE_CHECKING:
    from users.models import CustomUser


def correct_entry(*, entry: XPEntry, reason: str, corrected_by: CustomUser | None, source: str = "admin") -> Award:
    """Reverse ``entry`` with a new ledger entry of the opposite XP; audited (who, when, why).

    The correction counts toward the corrected entry's season and not toward daily usage.
    Raises ReasonRequired, NotCorrectable (a correction itself), AlreadyCorrected (one
    correction per entry, enforced by a unique index).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if entry.corrects_id is not None or entry.xp < 0:
        raise NotCorrectable()
    write = store.XPWrite(
        user_id=entry.user_id,
        activity=entry.activity,
        units=-entry.units,
        xp=-entry.xp,
        base_xp=-(entry.xp if entry.base_xp is None else entry.base_xp),
        multiplier=entry.multiplier,
        source=source,
        submitted_by_id=corrected_by.pk if corrected_by else None,
        now=utc_now(),
        corrects_id=entry.pk,
        reason=reason,
        season_id=entry.season_id,
    )
    try:
        with store.statement_scope():
            written = store.write_entry(write)
    except IntegrityError:
        if XPEntry.objects.filter(corrects_id=entry.pk).exists():
            raise AlreadyCorrected() from None
        raise
    hooks.advance_quests(
        user_id=write.user_id, activity=entry.activity, open_quests=written.open_quests, now=write.now, correction=True
    )
    rank_index.index_on_commit(written.score, written.index)
    return store.award_of(write, written)
