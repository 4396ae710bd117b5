"""The community's votes on claims and the moderators' decisions (docs/domain.md "Claims").

A vote locks the claim's row, so votes on one claim are counted one after the other and the one
that reaches the quorum decides it; the approved XP goes through ``award_xp(trusted=True)`` with
the key ``claim:<id>``: exactly once, whatever races."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, Value, When

from claims.models import APPROVE, APPROVED, COMMUNITY, MODERATOR, PENDING, REJECT, REJECTED, Claim, ClaimVote
from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY
from core.constants.claims import MONTH
from core.constants.layers import layer_for_xp
from core.exceptions import (
    AlreadyVoted,
    ClaimAlreadyDecided,
    ClaimWithModerators,
    OwnClaim,
    ReviewerLayerTooLow,
    ReviewerSuspended,
    ReviewerTooNew,
    ReviewLimitReached,
    UnknownClaim,
)
from core.services.claims.submission import claim_event_data
from core.services.discord import review_channel
from core.services.events import domain_events
from core.services.xp.award import award_xp
from core.utils import dates
from events.models import CLAIM_DECIDED
from xp.models import UserProfile

if TYPE_CHECKING:
    from users.models import CustomUser, ServiceAPIKey

# Hooks other features register for their kind of claim (e.g. quests): called inside the deciding
# transaction with the decided claim.
DECISION_HOOKS: dict[str, Callable[[Claim], None]] = {}


def handover_at(claim: Claim) -> datetime:
    """When an undecided claim goes to the moderators."""
    return claim.created_at + timedelta(hours=settings.REVIEW_HANDOVER_HOURS)


def outcome_of(approvals: int, rejections: int) -> str | None:
    """The community's decision for these counts (None: still open)."""
    if approvals >= settings.REVIEW_QUORUM and approvals > 2 * rejections:
        return APPROVED
    if rejections >= settings.REVIEW_QUORUM:
        return REJECTED
    return None


def _mode_xp(user_id: int, mode: str) -> int:
    profile = UserProfile.objects.filter(user_id=user_id).values_list(f"{mode}_xp", flat=True).first()
    return int(profile or 0)


def suspended_until(reviewer_id: int, now: datetime) -> datetime | None:
    """When a reviewer whose votes keep going against the outcome may vote again (None: may)."""
    record = ClaimVote.objects.filter(reviewer_id=reviewer_id, decided_at__gte=now - MONTH).aggregate(
        misses=Count("id", filter=Q(matched=False)), hits=Count("id", filter=Q(matched=True))
    )
    if record["misses"] < settings.REVIEWER_MISS_LIMIT or record["misses"] <= record["hits"]:
        return None
    last_miss = (
        ClaimVote.objects.filter(reviewer_id=reviewer_id, matched=False)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    until = last_miss + timedelta(days=settings.REVIEWER_SUSPENSION_DAYS) if last_miss else None
    return until if until and until > now else None


def reviewer_refusal(reviewer: CustomUser, now: datetime) -> Exception | None:
    """Why ``reviewer`` may judge no claim at all right now (None: they may judge some)."""
    if reviewer.is_staff:
        return None
    if reviewer.date_joined > now - timedelta(days=settings.REVIEWER_MIN_ACCOUNT_DAYS):
        return ReviewerTooNew(min_account_days=settings.REVIEWER_MIN_ACCOUNT_DAYS)
    until = suspended_until(reviewer.pk, now)
    if until is not None:
        return ReviewerSuspended(until=until.isoformat().replace("+00:00", "Z"))
    return None


def check_can_vote(claim: Claim, reviewer: CustomUser, now: datetime) -> None:
    """Raises why ``reviewer`` may not vote on ``claim`` now: OwnClaim, ClaimAlreadyDecided,
    ClaimWithModerators, ReviewerTooNew, ReviewerSuspended, ReviewerLayerTooLow,
    ReviewLimitReached, AlreadyVoted."""
    if claim.user_id == reviewer.pk:
        raise OwnClaim()
    if claim.state != PENDING:
        raise ClaimAlreadyDecided(state=claim.state)
    if now >= handover_at(claim):
        raise ClaimWithModerators()
    if ClaimVote.objects.filter(claim_id=claim.pk, reviewer_id=reviewer.pk).exists():
        raise AlreadyVoted()
    refusal = reviewer_refusal(reviewer, now)
    if refusal is not None:
        raise refusal
    if reviewer.is_staff:
        return
    mine = layer_for_xp(claim.mode, _mode_xp(reviewer.pk, claim.mode))
    theirs = layer_for_xp(claim.mode, _mode_xp(claim.user_id, claim.mode))
    if mine.order < theirs.order:
        raise ReviewerLayerTooLow(required_layer=theirs.code, current_layer=mine.code)
    votes = ClaimVote.objects.filter(reviewer_id=reviewer.pk, claimant_id=claim.user_id, created_at__gte=now - MONTH)
    if votes.count() >= settings.REVIEW_VOTES_PER_CLAIMANT_PER_MONTH:
        raise ReviewLimitReached(limit=settings.REVIEW_VOTES_PER_CLAIMANT_PER_MONTH)


@dataclass(frozen=True)
class VoteResult:
    claim: Claim
    vote: ClaimVote
    decided: bool  # this vote decided the claim


def cast_vote(*, claim_id: int, reviewer: CustomUser, verdict: str, reason: str = "") -> VoteResult:
    """Count ``reviewer``'s final vote on a pending claim; the vote that reaches the quorum decides
    it (approval awards the claim's XP once). Raises UnknownClaim and what ``check_can_vote``
    raises."""
    now = dates.utc_now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise UnknownClaim()
        check_can_vote(claim, reviewer, now)
        vote = ClaimVote.objects.create(
            claim=claim, reviewer=reviewer, claimant_id=claim.user_id, verdict=verdict, reason=reason, created_at=now
        )
        counter = "approvals" if verdict == APPROVE else "rejections"
        Claim.objects.filter(pk=claim.pk).update(**{counter: F(counter) + 1})
        setattr(claim, counter, getattr(claim, counter) + 1)  # the row is locked: this is its value
        outcome = outcome_of(claim.approvals, claim.rejections)
        if outcome is not None:
            _decide(claim, outcome, via=COMMUNITY, now=now)
        else:
            transaction.on_commit(lambda: _refresh_message(claim.pk))
    return VoteResult(claim=claim, vote=vote, decided=outcome is not None)


def decide(
    *,
    claim_id: int,
    verdict: str,
    reason: str = "",
    moderator: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
) -> Claim:
    """A moderator's (staff or a service key with ``claims:moderate``) decision on a pending
    claim, at once, audited on the claim (who, when, why). Raises UnknownClaim, OwnClaim,
    ClaimAlreadyDecided."""
    now = dates.utc_now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().filter(pk=claim_id).first()
        if claim is None:
            raise UnknownClaim()
        if moderator is not None and claim.user_id == moderator.pk:
            raise OwnClaim()
        if claim.state != PENDING:
            raise ClaimAlreadyDecided(state=claim.state)
        _decide(
            claim,
            APPROVED if verdict == APPROVE else REJECTED,
            via=MODERATOR,
            now=now,
            by=moderator,
            key=api_key,
            reason=reason,
        )
    return claim


def _decide(
    claim: Claim,
    outcome: str,
    *,
    via: str,
    now: datetime,
    by: CustomUser | None = None,
    key: ServiceAPIKey | None = None,
    reason: str = "",
) -> None:
    """Decide the locked, pending ``claim`` (in the caller's transaction)."""
    claim.state, claim.decided_at, claim.decided_via = outcome, now, via
    claim.decided_by, claim.decided_by_key, claim.decision_reason = by, key, reason
    fields = ["state", "decided_at", "decided_via", "decided_by", "decided_by_key", "decision_reason"]
    if outcome == APPROVED:
        award = award_xp(
            user=claim.user,
            activity=claim.activity,
            units=claim.units,
            source="claim",
            idempotency_key=f"claim:{claim.pk}",
            note=claim.note,
            trusted=True,
            counted_at=claim.created_at,  # streaks: the day it was submitted (docs/domain.md)
        )
        claim.entry_id = award.entry.pk
        claim.xp = award.entry.xp
        fields += ["entry", "xp"]
    claim.save(update_fields=fields)
    winning = APPROVE if outcome == APPROVED else REJECT
    ClaimVote.objects.filter(claim_id=claim.pk).update(
        matched=Case(When(verdict=winning, then=Value(True)), default=Value(False)), decided_at=now
    )
    _reward_reviewers(claim, winning, now)
    domain_events.record(
        [domain_events.NewEvent(CLAIM_DECIDED, claim.user_id, {**claim_event_data(claim), "via": via})], now=now
    )
    hook = DECISION_HOOKS.get(claim.kind)
    if hook is not None:
        hook(claim)
    transaction.on_commit(lambda: _refresh_message(claim.pk))


def _reward_reviewers(claim: Claim, winning: str, now: datetime) -> None:
    """The small reviewer reward for each vote that matched the outcome, at most
    REVIEW_REWARDS_PER_DAY rewarded votes per reviewer per UTC day (a per-reviewer lock held to
    commit keeps the count exact; reviewers are locked in id order)."""
    if settings.REVIEW_REWARD_XP <= 0:
        return
    voters = list(
        ClaimVote.objects.filter(claim_id=claim.pk, verdict=winning).select_related("reviewer").order_by("reviewer_id")
    )
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for vote in voters:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [REWARD_LOCK, vote.reviewer_id])
        rewarded_today = ClaimVote.objects.filter(
            reviewer_id=vote.reviewer_id, rewarded=True, decided_at__gte=day_start
        ).count()
        if rewarded_today >= settings.REVIEW_REWARDS_PER_DAY or not vote.reviewer.is_active:
            continue
        award_xp(
            user=vote.reviewer,
            activity=COMMUNITY_REVIEW_ACTIVITY,
            units=settings.REVIEW_REWARD_XP,
            source="review",
            idempotency_key=f"review:{claim.pk}",
            note=f"claim {claim.pk}",
            trusted=True,
        )
        ClaimVote.objects.filter(pk=vote.pk).update(rewarded=True)


REWARD_LOCK = 24_0001  # the advisory lock class of reviewer rewards (pg_advisory_xact_lock(int, int))


def _refresh_message(claim_id: int) -> None:
    review_channel.update_message(claim_id)
