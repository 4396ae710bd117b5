"""Shapes that more than one area of the API answers with (the areas are independent of each
other: an import-linter contract in pyproject.toml; what they share lives here)."""

from typing import Any

from rest_framework import serializers

from api.fields import ExactDecimalField
from claims.models import KINDS, STATES, Claim
from core.constants.modes import MODE_CHOICES
from core.services.claims.plausibility import REASONS
from core.services.claims.review import handover_at


class QuestProgressSerializer(serializers.Serializer[Any]):
    """Progress toward a quest's target (units of its activity, or XP of its mode)."""

    value = serializers.DecimalField(max_digits=16, decimal_places=2)
    target = serializers.DecimalField(max_digits=14, decimal_places=2)
    percent = serializers.IntegerField(min_value=0, max_value=100)


class ClaimSerializer(serializers.ModelSerializer[Claim]):
    """A claim: what it asks for, why it was held, its proof, the votes counted (who voted stays
    private) and its state."""

    activity = serializers.CharField(source="activity.key")
    kind = serializers.ChoiceField(choices=list(KINDS))
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    units = ExactDecimalField(max_digits=12, decimal_places=2)
    xp = serializers.IntegerField(help_text="XP the claim awards once approved (what it awarded once approved).")
    state = serializers.ChoiceField(choices=list(STATES))
    reason = serializers.ChoiceField(choices=list(REASONS), help_text="Why it was held for review.")
    approvals = serializers.IntegerField(min_value=0)
    rejections = serializers.IntegerField(min_value=0)
    handover_at = serializers.SerializerMethodField(
        help_text="When an undecided claim goes to the moderators (community votes end)."
    )
    decided_via = serializers.CharField(
        help_text='"community", "moderator", "erased" (withdrawn at erasure), "withdrawn" (a Strava activity '
        'that changed or was deleted) or "" while pending.'
    )
    entry = serializers.IntegerField(source="entry_id", allow_null=True, help_text="The ledger entry of an approval.")

    class Meta:
        model = Claim
        fields = [
            "id",
            "kind",
            "subject",
            "activity",
            "mode",
            "units",
            "xp",
            "state",
            "reason",
            "note",
            "proof_url",
            "source",
            "approvals",
            "rejections",
            "created_at",
            "handover_at",
            "decided_at",
            "decided_via",
            "decision_reason",
            "entry",
        ]

    def get_handover_at(self, claim: Claim) -> str:
        return serializers.DateTimeField().to_representation(handover_at(claim))  # type: ignore[no-any-return]


class PendingReviewSerializer(serializers.Serializer[Any]):
    """The xp/add answer (202) when the report is held for review: nothing entered the ledger."""

    status = serializers.ChoiceField(choices=["pending_review"])
    claim = ClaimSerializer()
    duplicate = serializers.BooleanField(help_text="true when this answers a retried Idempotency-Key.")
