"""Shapes of the claim and review endpoints (no game logic here)."""

from typing import Any

from rest_framework import serializers

from api.fields import NoUnknownFieldsMixin
from api.v1.serializers import ClaimSerializer
from claims.models import VERDICTS


class ClaimantSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    display_name = serializers.CharField(source="public_name")
    avatar_url = serializers.CharField(allow_null=True)


class ReviewSerializer(ClaimSerializer):
    """An open claim the signed-in player may judge, with who made it."""

    user = ClaimantSerializer()

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "user"]


class VoteInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(choices=list(VERDICTS))
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VoteSerializer(serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(choices=list(VERDICTS))
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class VoteResultSerializer(serializers.Serializer[Any]):
    vote = VoteSerializer()
    claim = ClaimSerializer()
    decided = serializers.BooleanField(help_text="true when this vote decided the claim.")


class ProofInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    proof_url = serializers.CharField(max_length=500, help_text="An https URL.")
    note = serializers.CharField(max_length=500, required=False)


class DecisionInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    verdict = serializers.ChoiceField(choices=list(VERDICTS))
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
