"""Setting up quests and taking part: goals, challenges, joining, leaving, abandoning, and the
review of a proof-required completion.

Every change of a participation's openness moves ``UserProfile.open_quests`` in the same
transaction, after locking the player's profile row (the lock every XP write takes first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from claims.models import Claim
from core.constants.quests import GOAL_MAX_DAYS, MAX_ACTIVE_GOALS, goal_reward
from core.exceptions import (
    ActivityNotReportable,
    AlreadyJoined,
    GoalDeadlineOutOfRange,
    InactiveActivity,
    ModeMismatch,
    QuestActivityRequired,
    QuestAlreadyJoined,
    QuestLayerTooLow,
    QuestNotAChallenge,
    QuestNotActive,
    QuestNotAGoal,
    QuestNotJoined,
    QuestNotOpen,
    QuestNotPendingReview,
    TooManyGoals,
    UnknownActivity,
    UnknownEvent,
    UnknownQuest,
)
from core.services.claims import review as claim_review
from core.services.events import domain_events
from core.services.layers import layer_service
from core.services.quests import progress
from core.services.xp.award import xp_for_units
from core.utils.dates import iso_utc, utc_now
from layers.models import Event
from quests.models import Quest, QuestParticipation
from xp.models import ActivityType

if TYPE_CHECKING:
    from users.models import CustomUser

_MAX_ID = 2**63 - 1


def parse_quest_id(raw: str | int) -> int:
    """The id in a URL; anything that is not a plausible id is an unknown quest (404)."""
    raw = str(raw)
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not 0 < int(raw) <= _MAX_ID:
        raise UnknownQuest()
    return int(raw)


def _activity(key: str | None, mode: str | None) -> tuple[ActivityType | None, str]:
    """The quest's activity and mode: an activity names its mode; without one a mode is needed."""
    if key is None:
        if mode is None:
            raise QuestActivityRequired()
        return None, mode
    activity = ActivityType.objects.filter(key=key).first()
    if activity is None:
        raise UnknownActivity(activity=key)
    if activity.system:
        raise ActivityNotReportable(activity=key)
    if not activity.is_active:
        raise InactiveActivity(activity=key)
    if mode is not None and mode != activity.mode:
        raise ModeMismatch(activity=key, mode=mode)
    return activity, activity.mode


def _lock_profile(user_id: int) -> None:
    progress._lock_profile(user_id)


# --- goals ------------------------------------------------------------------------------------


def create_goal(
    *,
    user: CustomUser,
    title: str,
    activity: str | None,
    target: Decimal,
    ends_at: datetime,
    proof_required: bool = False,
    mode: str | None = None,
) -> QuestParticipation:
    """A player's own goal, joined at once. The reward is the system's (a share of the XP the
    target is worth, capped). Raises UnknownActivity, ActivityNotReportable, InactiveActivity,
    ModeMismatch, QuestActivityRequired, GoalDeadlineOutOfRange, TooManyGoals."""
    the_activity, the_mode = _activity(activity, mode)
    now = utc_now()
    if not now < ends_at <= now + timedelta(days=GOAL_MAX_DAYS):
        raise GoalDeadlineOutOfRange(max_days=GOAL_MAX_DAYS)
    target_xp = xp_for_units(the_activity, target) if the_activity else int(target)
    with transaction.atomic():
        progress.open_one(user.pk, now)  # locks the profile row: goals of one player queue up here
        open_goals = QuestParticipation.objects.filter(
            user_id=user.pk, quest__kind=Quest.GOAL, state__in=QuestParticipation.OPEN_STATES
        ).count()
        if open_goals >= MAX_ACTIVE_GOALS:
            raise TooManyGoals(max_active_goals=MAX_ACTIVE_GOALS)
        quest = Quest.objects.create(
            kind=Quest.GOAL,
            title=title,
            mode=the_mode,
            activity=the_activity,
            target=target,
            starts_at=now,
            ends_at=ends_at,
            reward_xp=goal_reward(target_xp),
            proof_required=proof_required,
            owner=user,
        )
        participation = QuestParticipation.objects.create(quest=quest, user=user, joined_at=now)
    participation.quest = quest
    return participation


def abandon_goal(*, user: CustomUser, quest_id: int) -> None:
    """Give up one's own active goal (no reward). Raises UnknownQuest (not one's own),
    QuestNotAGoal, QuestNotActive."""
    quest = Quest.objects.filter(pk=quest_id).first()
    if quest is None or (quest.kind == Quest.GOAL and quest.owner_id != user.pk):
        raise UnknownQuest()
    if quest.kind != Quest.GOAL:
        raise QuestNotAGoal()
    now = utc_now()
    with transaction.atomic():
        _lock_profile(user.pk)
        changed = QuestParticipation.objects.filter(
            quest_id=quest.pk, user_id=user.pk, state__in=QuestParticipation.OPEN_STATES
        ).update(state=QuestParticipation.ABANDONED, finished_at=now)
        if not changed:
            raise QuestNotActive()
        progress.close_one(user.pk)


# --- challenges -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengeSpec:
    title: str
    activity: str | None
    mode: str | None
    target: Decimal
    starts_at: datetime | None
    ends_at: datetime
    reward_xp: int
    proof_required: bool = False
    required_layer: str = ""
    description: str = ""
    event_id: int | None = None


def create_challenge(spec: ChallengeSpec) -> Quest:
    """A challenge for everyone who joins (staff or a key with quests:manage). Raises
    UnknownActivity, ActivityNotReportable, InactiveActivity, ModeMismatch,
    QuestActivityRequired, QuestNotOpen (window not valid), UnknownEvent, QuestAlreadyJoined (the
    event already carries a challenge)."""
    the_activity, the_mode = _activity(spec.activity, spec.mode)
    now = utc_now()
    starts_at = spec.starts_at or now
    if spec.ends_at <= starts_at or spec.ends_at <= now:
        raise QuestNotOpen("A challenge must end after it starts, in the future.")
    if spec.required_layer and not spec.required_layer.startswith("RL" if the_mode == "reality" else "CL"):
        raise ValidationError({"required_layer": ["The required layer must be on the ladder of the quest's mode."]})
    event = None
    if spec.event_id is not None:
        event = Event.objects.filter(pk=spec.event_id).first()
        if event is None:
            raise UnknownEvent()
        if event.mode != the_mode:
            raise ModeMismatch(mode=the_mode, event_mode=event.mode)
    try:
        with transaction.atomic():
            return Quest.objects.create(
                kind=Quest.CHALLENGE,
                title=spec.title,
                description=spec.description,
                mode=the_mode,
                activity=the_activity,
                target=spec.target,
                starts_at=starts_at,
                ends_at=spec.ends_at,
                reward_xp=spec.reward_xp,
                proof_required=spec.proof_required,
                required_layer=spec.required_layer,
                event=event,
            )
    except IntegrityError:
        raise QuestAlreadyJoined("This event already carries a challenge.") from None


def get_challenge(quest_id: int) -> Quest:
    quest = Quest.objects.filter(pk=quest_id, kind=Quest.CHALLENGE, is_published=True).select_related("event").first()
    if quest is None:
        raise UnknownQuest()
    return quest


def _gate(quest: Quest, user: CustomUser) -> None:
    if not quest.required_layer:
        return
    gate = layer_service.gate_for(quest, layer_service.mode_xp_of(user)[quest.mode])  # type: ignore[arg-type]
    if not gate.passed:
        raise QuestLayerTooLow(
            required_layer=gate.required.code, current_layer=gate.current.code, missing_xp=gate.missing_xp
        )


def join_challenge(*, user: CustomUser, quest_id: int) -> QuestParticipation:
    """Take part in a challenge (from publication until it ends). A challenge that is an
    event's objective is joined by joining the event (its gate and capacity apply). Raises
    UnknownQuest, QuestNotAChallenge, QuestNotOpen, QuestLayerTooLow (code layer_too_low, as
    events), QuestAlreadyJoined, and the event's errors."""
    quest = Quest.objects.filter(pk=quest_id, is_published=True).first()
    if quest is None or (quest.kind == Quest.GOAL and quest.owner_id != user.pk):
        raise UnknownQuest()
    if quest.kind != Quest.CHALLENGE:
        raise QuestNotAChallenge()
    now = utc_now()
    if now >= quest.ends_at:
        raise QuestNotOpen(ends_at=iso_utc(quest.ends_at))
    if quest.event_id is not None:
        event = layer_service.get_event(quest.event_id)
        try:
            layer_service.join_event(user=user, event=event)  # joins this challenge in its transaction
        except AlreadyJoined:
            if not QuestParticipation.objects.filter(quest_id=quest.pk, user_id=user.pk).exists():
                with transaction.atomic():
                    _enter(quest, user.pk, now)
            else:
                raise QuestAlreadyJoined() from None
        return QuestParticipation.objects.select_related("quest").get(quest_id=quest.pk, user_id=user.pk)
    _gate(quest, user)
    with transaction.atomic():
        participation = _enter(quest, user.pk, now)
    participation.quest = quest
    return participation


def _enter(quest: Quest, user_id: int, now: datetime) -> QuestParticipation:
    """The participation row and the open count, in the caller's transaction."""
    if QuestParticipation.objects.filter(quest_id=quest.pk, user_id=user_id).exists():
        raise QuestAlreadyJoined()
    progress.open_one(user_id, now)  # the profile lock first; racing joins of one player queue here
    try:
        with transaction.atomic():
            return QuestParticipation.objects.create(quest=quest, user_id=user_id, joined_at=now)
    except IntegrityError:
        raise QuestAlreadyJoined() from None


def leave_challenge(*, user: CustomUser, quest_id: int) -> Quest:
    """Stop taking part in an active challenge (progress is forgotten; joining again starts
    from that moment). A challenge that is an event's objective is left by leaving the event.
    Raises UnknownQuest, QuestNotAChallenge, QuestNotOpen, QuestNotJoined, QuestNotActive."""
    quest = Quest.objects.filter(pk=quest_id, is_published=True).first()
    if quest is None or (quest.kind == Quest.GOAL and quest.owner_id != user.pk):
        raise UnknownQuest()
    if quest.kind != Quest.CHALLENGE:
        raise QuestNotAChallenge()
    if utc_now() >= quest.ends_at:
        raise QuestNotOpen(ends_at=iso_utc(quest.ends_at))
    if quest.event_id is not None:
        layer_service.leave_event(user=user, event=layer_service.get_event(quest.event_id))
        return quest
    with transaction.atomic():
        _leave(quest, user.pk)
    return quest


def _leave(quest: Quest, user_id: int) -> None:
    _lock_profile(user_id)
    participation = QuestParticipation.objects.select_for_update().filter(quest_id=quest.pk, user_id=user_id).first()
    if participation is None:
        raise QuestNotJoined()
    if participation.state not in QuestParticipation.OPEN_STATES:
        raise QuestNotActive()
    participation.delete()
    progress.close_one(user_id)


# --- events carrying a challenge (called by layer_service in the join's transaction) ------------


def on_event_joined(*, user_id: int, event: Event, now: datetime) -> None:
    """Joining an event joins the challenge it carries (if any, and still open)."""
    quest = Quest.objects.filter(event_id=event.pk, kind=Quest.CHALLENGE, is_published=True, ends_at__gt=now).first()
    if quest is not None and not QuestParticipation.objects.filter(quest_id=quest.pk, user_id=user_id).exists():
        _enter(quest, user_id, now)


def on_event_left(*, user_id: int, event: Event) -> None:
    quest = Quest.objects.filter(event_id=event.pk, kind=Quest.CHALLENGE).first()
    if quest is not None:
        participation = QuestParticipation.objects.filter(quest_id=quest.pk, user_id=user_id).first()
        if participation is not None and participation.state in QuestParticipation.OPEN_STATES:
            _leave(quest, user_id)


# --- review of a proof-required completion ----------------------------------------------------


def decide(
    *,
    quest_id: int,
    user_id: int,
    approve: bool,
    reviewer: CustomUser | None,
    reason: str = "",
    paid_entry_id: int | None = None,
) -> QuestParticipation:
    """Staff (or a key with claims:moderate) decide a completion awaiting review: approval pays
    the reward once (``quest:<id>:<user>``), rejection ends the participation ``failed``.
    Raises UnknownQuest, QuestNotPendingReview (also when a correction took progress back below
    the target). ``paid_entry_id``: the reward was already paid by that entry (the hook of an
    approved community claim of kind ``quest`` passes the claim's entry), so nothing is paid twice."""
    now = utc_now()
    participation = QuestParticipation.objects.filter(quest_id=quest_id, user_id=user_id).first()
    if participation is None:
        raise UnknownQuest()
    with transaction.atomic():
        _lock_profile(user_id)
        row = progress.progress_of([participation.pk])[participation.pk]
        qp = QuestParticipation.objects.select_for_update().select_related("quest", "user").get(pk=participation.pk)
        if qp.state != QuestParticipation.PENDING_REVIEW:
            raise QuestNotPendingReview(state=qp.state)
        reviewer_id = reviewer.pk if reviewer is not None else None
        reopened = approve and not row.reached
        if reopened:  # a correction took it back below the target meanwhile: active again
            QuestParticipation.objects.filter(pk=qp.pk).update(state=QuestParticipation.ACTIVE, reached_at=None)
        elif approve:
            progress.pay(qp, reached_at=qp.reached_at or now, now=now, value=row.value, paid_entry_id=paid_entry_id)
            QuestParticipation.objects.filter(pk=qp.pk).update(reviewed_by_id=reviewer_id, review_reason=reason)
        else:
            QuestParticipation.objects.filter(pk=qp.pk).update(
                state=QuestParticipation.FAILED, finished_at=now, reviewed_by_id=reviewer_id, review_reason=reason
            )
            progress.close_one(user_id)
            domain_events.record([failed_event(qp.quest, user_id, row.value, "rejected")], now=now)
    if reopened:
        raise QuestNotPendingReview(state=QuestParticipation.ACTIVE)
    qp.refresh_from_db()
    return qp


def decide_completion(
    *,
    quest_id: int,
    user_id: int,
    approve: bool,
    reviewer: CustomUser | None,
    api_key: Any = None,
    reason: str = "",
) -> QuestParticipation:
    """A moderator's decision on a completion awaiting review (POST /quests/{id}/decision/).
    A completion with a pending community claim is decided through that claim (so its reward is
    paid once, under ``claim:<id>``, and the claim's hook settles the quest); one without (a
    quest with no reward) directly. Raises what ``decide`` and the claim decision raise."""
    claim = Claim.objects.filter(kind="quest", subject=f"quest:{quest_id}", user_id=user_id, state="pending").first()
    if claim is None:
        return decide(quest_id=quest_id, user_id=user_id, approve=approve, reviewer=reviewer, reason=reason)
    claim_review.decide(
        claim_id=claim.pk,
        verdict="approve" if approve else "reject",
        reason=reason,
        moderator=reviewer,
        api_key=api_key,
    )
    return QuestParticipation.objects.get(quest_id=quest_id, user_id=user_id)


def claim_decided(claim: Any) -> None:
    """The decision of a quest completion's claim (kind ``quest``, subject ``quest:<id>``), in
    the claim's deciding transaction: approval completes the quest with the claim's reward entry
    (nothing is paid twice), rejection fails it. A completion a correction sent back to active
    meanwhile stays active."""
    quest_id = int(str(claim.subject).split(":", 1)[1])
    try:
        decide(
            quest_id=quest_id,
            user_id=claim.user_id,
            approve=claim.state == "approved",
            reviewer=claim.decided_by,
            reason=claim.decision_reason,
            paid_entry_id=claim.entry_id,
        )
    except (QuestNotPendingReview, UnknownQuest):
        return


def failed_event(quest: Quest, user_id: int, value: Any, why: str) -> domain_events.NewEvent:
    return domain_events.NewEvent(
        "quest_failed",
        user_id,
        {
            "quest": progress.quest_event_data(quest),
            "value": str(Decimal(value).quantize(progress.CENT)),
            "reason": why,
        },
    )
