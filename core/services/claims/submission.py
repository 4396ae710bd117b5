"""Reporting XP that may be held for review, and making claims (also for other features: a quest
completion that needs proof is a claim of kind ``quest``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction

from claims.models import ACTIVITY, ERASED, PENDING, REJECTED, WITHDRAWN, Claim, ClaimVote
from core.exceptions import ClaimAlreadyDecided, IdempotencyKeyReused, InvalidProofUrl, NotClaimOwner, UnknownClaim
from core.services.claims import plausibility
from core.services.discord import review_channel
from core.services.events import domain_events
from core.services.xp.award import award_xp, check_award_rules, get_activity, xp_for_units
from core.services.xp.results import Award
from core.utils.dates import utc_now
from events.models import CLAIM_DECIDED, CLAIM_SUBMITTED
from xp.models import ActivityType, XPEntry

if TYPE_CHECKING:
    from users.models import CustomUser, ServiceAPIKey


@dataclass(frozen=True)
class Held:
    """A report held for review: the claim (``duplicate``: a retried Idempotency-Key)."""

    claim: Claim
    duplicate: bool = False


def check_proof_url(url: str) -> str:
    """``url`` when it is an https URL with a host (else InvalidProofUrl); "" stays ""."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidProofUrl() from None
    if parts.scheme != "https" or not parts.hostname or len(url) > 500 or any(c.isspace() for c in url):
        raise InvalidProofUrl()
    return url


def report_activity(
    *,
    user: CustomUser,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    submitted_by: CustomUser | None = None,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    proof_url: str = "",
) -> Award | Held:
    """A player's (or a service's) own report of an activity: awarded at once when plausible
    (``award_xp``), else held as a pending claim and nothing enters the ledger. Proof never
    bypasses the judgement. Raises what ``award_xp`` raises, and InvalidProofUrl."""
    proof_url = check_proof_url(proof_url)
    if isinstance(activity, str):
        activity = get_activity(activity)
    units = Decimal(units)

    def award() -> Award:
        return award_xp(
            user=user,
            activity=activity,
            units=units,
            source=source,
            submitted_by=submitted_by,
            api_key=api_key,
            idempotency_key=idempotency_key,
            note=note,
            mode=mode,
        )

    if not plausibility.needs_judgement(activity, units):  # the common case: no statement more
        return award()
    if idempotency_key:
        existing = Claim.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replayed(existing, activity, units)
        if XPEntry.objects.filter(user_id=user.pk, idempotency_key=idempotency_key).exists():
            return award()  # answers the first award
    check_award_rules(activity, units, mode)
    now = utc_now()
    reason = plausibility.judge(user_id=user.pk, activity=activity, units=units, now=now)
    if reason is None:
        return award()
    try:
        claim = create_claim(
            user=user,
            activity=activity,
            units=units,
            reason=reason,
            source=source,
            api_key=api_key,
            idempotency_key=idempotency_key,
            note=note,
            proof_url=proof_url,
        )
    except IntegrityError:  # the same Idempotency-Key raced in: answer as the first time
        if not idempotency_key:
            raise
        return _replayed(Claim.objects.get(user_id=user.pk, idempotency_key=idempotency_key), activity, units)
    return Held(claim)


def _replayed(claim: Claim, activity: ActivityType, units: Decimal) -> Held:
    if claim.activity_id != activity.pk or claim.units != units:
        raise IdempotencyKeyReused()
    return Held(claim, duplicate=True)


def create_claim(
    *,
    user: CustomUser,
    activity: ActivityType,
    units: Decimal,
    reason: str,
    source: str,
    kind: str = ACTIVITY,
    subject: str = "",
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    proof_url: str = "",
) -> Claim:
    """A pending claim that awards ``units`` of ``activity`` to ``user`` once approved (through
    ``award_xp(trusted=True)``, key ``claim:<id>``). ``kind``/``subject`` say what it is about
    (``quest``, ``"quest:12"``). Records ``claim_submitted`` and posts it to the review channel
    after commit. Raises InvalidProofUrl; IntegrityError for a used ``idempotency_key``."""
    proof_url = check_proof_url(proof_url)
    now = utc_now()
    with transaction.atomic():
        claim = Claim.objects.create(
            user=user,
            kind=kind,
            subject=subject,
            activity=activity,
            mode=activity.mode,
            units=units,
            xp=xp_for_units(activity, units),
            source=source,
            api_key=api_key,
            idempotency_key=idempotency_key or None,
            note=note,
            proof_url=proof_url,
            reason=reason,
            created_at=now,
        )
        domain_events.record([domain_events.NewEvent(CLAIM_SUBMITTED, user.pk, claim_event_data(claim))], now=now)
        transaction.on_commit(lambda: _post_to_review_channel(claim.pk))
    return claim


def claim_event_data(claim: Claim) -> dict[str, object]:
    return {
        "claim_id": claim.pk,
        "kind": claim.kind,
        "activity": claim.activity.key,
        "mode": claim.mode,
        "units": str(claim.units),
        "xp": claim.xp,
        "state": claim.state,
        "reason": claim.reason,
    }


def _post_to_review_channel(claim_id: int) -> None:
    review_channel.post_message(claim_id)


def add_proof(*, claim_id: int, user: CustomUser, proof_url: str, note: str | None = None) -> Claim:
    """Attach (or replace) the proof of one's own pending claim. Proof informs the reviewers; it
    never decides. Raises UnknownClaim, NotClaimOwner, ClaimAlreadyDecided, InvalidProofUrl."""
    proof_url = check_proof_url(proof_url)
    if not proof_url:
        raise InvalidProofUrl()
    with transaction.atomic():
        claim = Claim.objects.select_for_update(of=("self",)).select_related("activity").filter(pk=claim_id).first()
        if claim is None:
            raise UnknownClaim()
        if claim.user_id != user.pk:
            raise NotClaimOwner()
        if claim.state != PENDING:
            raise ClaimAlreadyDecided()
        claim.proof_url = proof_url
        fields = ["proof_url"]
        if note is not None:
            claim.note = note
            fields.append("note")
        claim.save(update_fields=fields)
        transaction.on_commit(lambda: _refresh_review_message(claim.pk))
    return claim


def _refresh_review_message(claim_id: int) -> None:
    review_channel.update_message(claim_id)


def withdraw(claims: Sequence[Claim], *, reason: str) -> None:
    """Take back pending claims without a verdict (``decided_via`` "withdrawn": a Strava activity
    that changed or was deleted), in the caller's transaction, which holds the claims' row locks.
    Nothing is awarded and no vote matched or missed. Records ``claim_decided``; the review
    messages follow after commit."""
    if not claims:
        return
    now = utc_now()
    for claim in claims:
        claim.state, claim.decided_at, claim.decided_via, claim.decision_reason = REJECTED, now, WITHDRAWN, reason
        claim.save(update_fields=["state", "decided_at", "decided_via", "decision_reason"])
        transaction.on_commit(partial(_refresh_review_message, claim.pk))
    domain_events.record(
        [
            domain_events.NewEvent(CLAIM_DECIDED, claim.user_id, {**claim_event_data(claim), "via": WITHDRAWN})
            for claim in claims
        ],
        now=now,
    )


def forget_player(*, user: CustomUser) -> None:
    """For an erased account (DELETE /api/v1/user/): free text and proof links of the player's
    claims and the reasons of their votes are blanked, and their pending claims are withdrawn
    (rejected, ``decided_via`` "erased": nothing is awarded to an erased account). Counts and
    verdicts stay: other players' claims were decided with them."""
    now = utc_now()
    with transaction.atomic():
        Claim.objects.filter(user_id=user.pk, state=PENDING).update(
            state=REJECTED, decided_at=now, decided_via=ERASED, decision_reason="account erased"
        )
        Claim.objects.filter(user_id=user.pk).update(note="", proof_url="")
        ClaimVote.objects.filter(reviewer_id=user.pk).exclude(reason="").update(reason="")
