"""Claims: self-reported XP held for review, and the community's votes on them (docs/domain.md)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.constants.modes import MODE_CHOICES

PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"
STATES = (PENDING, APPROVED, REJECTED)
APPROVE, REJECT = "approve", "reject"
VERDICTS = (APPROVE, REJECT)
# What a claim asks for: an activity report held by plausibility, a quest completion whose proof
# the community checks (issue 25), or a Strava import held by the Strava review (subject
# "strava:<activity id>:r<revision>"). Either way ``activity`` x ``units`` is awarded on approval.
ACTIVITY, QUEST, STRAVA = "activity", "quest", "strava"
KINDS = (ACTIVITY, QUEST, STRAVA)
COMMUNITY, MODERATOR = "community", "moderator"
# A pending claim taken back without a verdict: the account was erased, or the Strava activity
# changed (a new revision is judged again) or was deleted at Strava.
ERASED, WITHDRAWN = "erased", "withdrawn"


class Claim(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(max_length=10, choices=[(k, k) for k in KINDS], default=ACTIVITY)
    # What the claim is about beyond the activity (e.g. "quest:12"); empty for an activity report.
    subject = models.CharField(max_length=100, blank=True)
    activity = models.ForeignKey("xp.ActivityType", on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    units = models.DecimalField(max_digits=12, decimal_places=2)
    xp = models.BigIntegerField()  # what approval awards (floor(units x rate) when submitted)
    source = models.CharField(max_length=10)
    api_key = models.ForeignKey(
        "users.ServiceAPIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    proof_url = models.CharField(max_length=500, blank=True)  # https only (core.services.claims)
    reason = models.CharField(max_length=40)  # why it was held (a code: above_review_threshold, ...)
    state = models.CharField(max_length=10, choices=[(s, s) for s in STATES], default=PENDING)
    approvals = models.IntegerField(default=0)
    rejections = models.IntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_via = models.CharField(max_length=10, blank=True)  # community | moderator
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_key = models.ForeignKey(
        "users.ServiceAPIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    entry = models.OneToOneField("xp.XPEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="claim")
    # The review channel's message for this claim (Discord), edited as votes come in.
    discord_channel_id = models.CharField(max_length=32, blank=True)
    discord_message_id = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "created_at"], name="claim_state_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="claim_unique_idempotency_key",
            ),
            models.CheckConstraint(condition=Q(units__gt=0), name="claim_units_positive"),
            models.CheckConstraint(condition=Q(approvals__gte=0, rejections__gte=0), name="claim_counts_not_negative"),
            models.CheckConstraint(
                condition=Q(state=PENDING, decided_at__isnull=True) | (~Q(state=PENDING) & Q(decided_at__isnull=False)),
                name="claim_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(state=REJECTED) | Q(entry__isnull=True), name="claim_rejected_no_entry"
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} ({self.state}): {self.units} {self.activity_id} by {self.user_id}"


class ClaimVote(models.Model):
    """One reviewer's final verdict on one claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="votes")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="claim_votes")
    # The claimant, copied: "votes per reviewer per claimant per month" is one indexed count.
    claimant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    verdict = models.CharField(max_length=10, choices=[(v, v) for v in VERDICTS])
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    # Set when the claim is decided: whether this vote matched the outcome, and whether it earned
    # the reviewer reward (capped per day).
    matched = models.BooleanField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    rewarded = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["reviewer", "claimant", "created_at"], name="claim_vote_pair"),
            models.Index(fields=["reviewer", "decided_at"], name="claim_vote_record"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["claim", "reviewer"], name="claim_vote_once"),
            models.CheckConstraint(condition=~Q(reviewer=models.F("claimant")), name="claim_vote_not_own"),
        ]

    def __str__(self) -> str:
        return f"{self.verdict} on claim {self.claim_id} by {self.reviewer_id}"
