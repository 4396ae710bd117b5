"""Reads of claims shaped for the API (never write)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from claims.models import PENDING, Claim, ClaimVote
from core.constants.claims import MONTH
from core.constants.layers import layer_for_xp, next_layer
from core.constants.modes import MODES
from xp.models import UserProfile

if TYPE_CHECKING:
    from users.models import CustomUser


def own_claims(user_id: int, state: str | None = None) -> QuerySet[Claim]:
    """The player's own claims, newest first."""
    qs = Claim.objects.filter(user_id=user_id).select_related("activity")
    return qs.filter(state=state) if state else qs


def reviewable_claims(reviewer: CustomUser, now: datetime) -> QuerySet[Claim]:
    """Open claims ``reviewer`` may judge now (the caller checked ``reviewer_refusal``): pending,
    not handed over to the moderators, not their own, not voted on yet, the claimant's layer in the
    claim's mode at most theirs, and fewer than the monthly votes on that claimant; oldest first."""
    since = now - timedelta(hours=settings.REVIEW_HANDOVER_HOURS)
    qs = (
        Claim.objects.filter(state=PENDING, created_at__gt=since)
        .exclude(user_id=reviewer.pk)
        .exclude(votes__reviewer_id=reviewer.pk)
        .select_related("activity", "user")
        .order_by("created_at", "id")
    )
    if reviewer.is_staff:
        return qs
    profile = UserProfile.objects.filter(user_id=reviewer.pk).first()
    layer_gate = Q()
    for mode in MODES:
        mine = layer_for_xp(mode, profile.mode_xp(mode) if profile else 0)
        above = next_layer(mine)
        if above is None:
            continue  # the top layer judges every claimant of this mode
        # The claimant is at most at my layer: their mode XP is below the next layer's threshold.
        layer_gate &= (
            ~Q(mode=mode) | Q(**{f"user__profile__{mode}_xp__lt": above.min_xp}) | Q(user__profile__isnull=True)
        )
    saturated = (
        ClaimVote.objects.filter(reviewer_id=reviewer.pk, created_at__gte=now - MONTH)
        .values("claimant_id")
        .annotate(n=Count("id"))
        .filter(n__gte=settings.REVIEW_VOTES_PER_CLAIMANT_PER_MONTH)
        .values("claimant_id")
    )
    return qs.filter(layer_gate).exclude(user_id__in=saturated)


def export_claims(user_id: int) -> dict[str, list[dict[str, object]]]:
    """What GET /api/v1/user/export/ lists of claims: the player's own claims and the votes they
    cast (on others' claims: which claim, verdict, reason, when)."""
    own: list[dict[str, object]] = [
        {
            "id": c.pk,
            "kind": c.kind,
            "subject": c.subject,
            "activity": c.activity.key,
            "units": str(c.units),
            "xp": c.xp,
            "state": c.state,
            "reason": c.reason,
            "note": c.note,
            "proof_url": c.proof_url,
            "approvals": c.approvals,
            "rejections": c.rejections,
            "created_at": c.created_at.isoformat(),
            "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        }
        for c in Claim.objects.filter(user_id=user_id).select_related("activity").order_by("created_at", "id")
    ]
    votes: list[dict[str, object]] = [
        {"claim": v.claim_id, "verdict": v.verdict, "reason": v.reason, "created_at": v.created_at.isoformat()}
        for v in ClaimVote.objects.filter(reviewer_id=user_id).order_by("created_at", "id")
    ]
    return {"claims": own, "claim_votes": votes}
