"""Quest progress, derived from the ledger, and completion when an award reaches a target.

Guarantees:

- Progress is exact and derivable: the sum over the player's ledger of the quest's activity
  (units) or, without an activity, of the XP of the quest's mode (the game's own system
  activities excluded), counting every entry made inside the window from the later of the
  quest's start and the player's join until the end; a correction counts when the entry it
  corrects counts. Nothing stored can drift from it.
- ``after_award`` is called right after every XP write with what the write returned; a player
  with no open quest (``UserProfile.open_quests`` = 0, returned by the write itself) costs no
  statement at all.
- A quest completes once whatever races: the completion locks the player's profile row first
  (the lock every XP write takes first, so no deadlock), re-reads progress under it, flips the
  participation with a conditional state change, and pays ``reward_xp`` through ``award_xp``
  with the key ``quest:<id>:<user>`` in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F

from claims.models import Claim
from core.constants.activities import QUEST_REWARD_ACTIVITY
from core.constants.leagues import DEFAULT_LEAGUE
from core.selectors.quests.quest_progress import CENT, progress_document, progress_of, rows, table
from core.services.claims.submission import create_claim
from core.services.events import domain_events
from core.services.xp.award import award_xp
from core.utils.dates import iso_utc, utc_now
from quests.models import Quest, QuestParticipation
from xp.models import ActivityType, UserProfile

ACTIVE, PENDING, COMPLETED = QuestParticipation.ACTIVE, QuestParticipation.PENDING_REVIEW, QuestParticipation.COMPLETED


@dataclass(frozen=True)
class QuestAdvance:
    """A quest an XP entry moved, as the xp/add answer lists it."""

    quest_id: int
    title: str
    kind: str
    value: Decimal
    target: Decimal
    state: str
    completed: bool  # this entry completed it (or, with proof required, sent it to review)

    def document(self) -> dict[str, Any]:
        return {
            "id": self.quest_id,
            "title": self.title,
            "kind": self.kind,
            "progress": progress_document(self.value, self.target),
            "state": self.state,
            "completed": self.completed,
        }


def after_award(
    *, user_id: int, activity: ActivityType, open_quests: int, now: datetime, correction: bool = False
) -> tuple[QuestAdvance, ...]:
    """Advance the player's open quests that the entry just written counts toward; complete
    those it brought to their target. ``open_quests`` is what the write returned: 0 means
    nothing to do (no statement). A correction may send a completion awaiting review back to
    active when it takes progress below the target."""
    if not open_quests or activity.system:
        return ()
    where = (
        "qp.user_id = %s AND qp.state = ANY(%s) "
        "AND (q.activity_id = %s OR (q.activity_id IS NULL AND q.mode = %s AND NOT %s))"
    )
    params: list[Any] = [user_id, list(QuestParticipation.OPEN_STATES), activity.pk, activity.mode, activity.system]
    if not correction:
        where += " AND q.starts_at <= %s AND q.ends_at > %s AND qp.joined_at <= %s"
        params += [now, now, now]
    advances = []
    for row in rows(where, params):
        state, completed = row.state, False
        if row.state == ACTIVE and row.reached and not correction:
            outcome = complete(participation_id=row.participation_id, now=now)
            if outcome is not None:
                state, completed = outcome, True
            else:  # another request completed it first (or a correction took it back)
                state = QuestParticipation.objects.values_list("state", flat=True).get(pk=row.participation_id)
        elif row.state == PENDING and not row.reached:
            state = reopen(participation_id=row.participation_id) or state
        advances.append(QuestAdvance(row.quest_id, row.title, row.kind, row.value, row.target, state, completed))
    return tuple(advances)


def _lock_profile(user_id: int) -> None:
    """The player's profile row, locked: every XP write takes this lock first."""
    list(UserProfile.objects.select_for_update().filter(user_id=user_id).values_list("pk"))


def complete(*, participation_id: int, now: datetime, late: bool = False) -> str | None:
    """Complete the participation if its progress (re-read under the player's lock) reached the
    target: pay the reward, or with ``proof_required`` send it to review. Returns the new state,
    or None when it was not active or not reached (another request completed it first).
    ``late``: settling after the deadline (the window already ended)."""
    participation = QuestParticipation.objects.filter(pk=participation_id).values_list("user_id", flat=True).first()
    if participation is None:
        return None
    with transaction.atomic():
        _lock_profile(participation)
        row = progress_of([participation_id]).get(participation_id)
        if row is None or row.state != ACTIVE or not row.reached:
            return None
        if not late and now >= row.ends_at:
            return None
        qp = QuestParticipation.objects.select_for_update().select_related("quest").get(pk=participation_id)
        if qp.state != ACTIVE:
            return None
        reached_at = row.last_at or now
        if qp.quest.proof_required:
            QuestParticipation.objects.filter(pk=qp.pk).update(state=PENDING, reached_at=reached_at)
            _claim_reward(qp)
            return PENDING
        pay(qp, reached_at=reached_at, now=now, value=row.value)
        return COMPLETED


def _claim_reward(qp: QuestParticipation) -> None:
    """A completion that needs proof becomes a community claim for its reward (docs/domain.md
    "Claims"): the community (or a moderator) decides it, and the claim's decision settles the
    quest (``participation.claim_decided``, registered for claims of kind ``quest``). A quest
    without a reward has nothing to claim: moderators decide it (``/quests/{id}/decision/``)."""
    quest = qp.quest
    if quest.reward_xp <= 0:
        return
    create_claim(
        user=qp.user,
        activity=ActivityType.objects.get(key=QUEST_REWARD_ACTIVITY[quest.mode]),
        units=Decimal(quest.reward_xp),
        reason="quest_proof",
        source="quest",
        kind="quest",
        subject=f"quest:{quest.pk}",
        note=quest.title[:500],
    )


def pay(
    qp: QuestParticipation, *, reached_at: datetime, now: datetime, value: Decimal, paid_entry_id: int | None = None
) -> None:
    """Mark ``qp`` completed and pay its reward, in the caller's transaction (which holds the
    player's profile lock and the participation's row lock). ``paid_entry_id``: the reward was
    already paid by that ledger entry (an approved community claim pays under its own key)."""
    quest = qp.quest
    entry_id = paid_entry_id
    if quest.reward_xp > 0 and paid_entry_id is None:
        award = award_xp(
            user=qp.user,
            activity=QUEST_REWARD_ACTIVITY[quest.mode],
            units=Decimal(quest.reward_xp),
            source="quest",
            idempotency_key=f"quest:{quest.pk}:{qp.user_id}",
            note=quest.title[:500],
            trusted=True,
        )
        entry_id = award.entry.pk
    QuestParticipation.objects.filter(pk=qp.pk).update(
        state=COMPLETED, reached_at=reached_at, finished_at=now, reward_entry_id=entry_id
    )
    close_one(qp.user_id)
    domain_events.record(
        [
            domain_events.NewEvent(
                "quest_completed",
                qp.user_id,
                {
                    "quest": quest_event_data(quest),
                    "value": str(Decimal(value).quantize(CENT)),
                    "reward_xp": quest.reward_xp,
                    "entry_id": entry_id,
                    "reached_at": iso_utc(reached_at),
                },
            )
        ],
        now=now,
    )


def quest_event_data(quest: Quest) -> dict[str, Any]:
    return {
        "id": quest.pk,
        "kind": quest.kind,
        "title": quest.title,
        "mode": quest.mode,
        "activity": quest.activity.key if quest.activity is not None else None,
        "target": str(quest.target),
        "ends_at": iso_utc(quest.ends_at),
    }


def reopen(*, participation_id: int) -> str | None:
    """A completion awaiting review whose progress a correction took below the target goes back
    to active (it is reviewed again only if the target is reached again)."""
    user_id = QuestParticipation.objects.filter(pk=participation_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return None
    with transaction.atomic():
        _lock_profile(user_id)
        row = progress_of([participation_id]).get(participation_id)
        if row is None or row.state != PENDING or row.reached:
            return None
        QuestParticipation.objects.filter(pk=participation_id, state=PENDING).update(state=ACTIVE, reached_at=None)
        _withdraw_claim(participation_id, user_id)
        return ACTIVE


def _withdraw_claim(participation_id: int, user_id: int) -> None:
    """A completion a correction took back is no longer for review: its pending claim is closed
    unpaid (a new one is made if the target is reached again)."""
    quest_id = QuestParticipation.objects.values_list("quest_id", flat=True).get(pk=participation_id)
    Claim.objects.filter(kind="quest", subject=f"quest:{quest_id}", user_id=user_id, state="pending").update(
        state="rejected", decided_at=utc_now(), decided_via="withdrawn", decision_reason="progress corrected"
    )


# --- the open-quest count on the profile (the award path's gate) ---------------------------------

_OPEN_ONE = f"""
INSERT INTO {table(UserProfile)} AS p (user_id, total_xp, reality_xp, cyber_xp, level, reality_league, cyber_league,
                                    updated_at, open_quests)
VALUES (%s, 0, 0, 0, 1, %s, %s, %s, 1)
ON CONFLICT (user_id) DO UPDATE SET open_quests = p.open_quests + 1
"""


def open_one(user_id: int, now: datetime) -> None:
    """Count one more open quest for the player (creates the profile row of a player without
    XP yet). Locks the profile row, as an XP write does first."""
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_ONE, [user_id, DEFAULT_LEAGUE, DEFAULT_LEAGUE, now])


def close_one(user_id: int) -> None:
    UserProfile.objects.filter(user_id=user_id).update(open_quests=F("open_quests") - 1)
