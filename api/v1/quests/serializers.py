"""Shapes for the quest endpoints (input validation and output; the rules live in the services)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.errors import field_error
from api.fields import ExactDecimalField, NoUnknownFieldsMixin, StrictSlugField
from api.v1.serializers import QuestProgressSerializer
from core.constants.modes import MODE_CHOICES
from core.constants.quests import CHALLENGE_REWARD_MAX, QUEST_KINDS, QUEST_STATES
from core.exceptions import NotAllowedForGoal
from core.selectors.quests.quest_progress import progress_document
from core.selectors.quests.quests import BoardRow, QuestCard
from quests.models import Quest

STATES = QUEST_STATES


class QuestSerializer(serializers.Serializer[Any]):
    """A quest as the reader sees it; ``joined`` is null for an anonymous reader, ``progress``
    and ``state`` are null unless the reader takes part."""

    id = serializers.IntegerField(source="quest.pk")
    kind = serializers.ChoiceField(source="quest.kind", choices=QUEST_KINDS)
    title = serializers.CharField(source="quest.title")
    description = serializers.CharField(source="quest.description")
    mode = serializers.ChoiceField(source="quest.mode", choices=MODE_CHOICES)
    activity = serializers.SerializerMethodField(
        help_text="The activity whose units count; null: any activity of the mode, and the target is XP."
    )
    target = serializers.DecimalField(source="quest.target", max_digits=14, decimal_places=2)
    starts_at = serializers.DateTimeField(source="quest.starts_at")
    ends_at = serializers.DateTimeField(source="quest.ends_at")
    reward_xp = serializers.IntegerField(source="quest.reward_xp")
    proof_required = serializers.BooleanField(source="quest.proof_required")
    required_layer = serializers.SerializerMethodField(help_text="The layer needed to join (null: anyone).")
    event = serializers.SerializerMethodField(help_text="The event or dungeon this challenge is the objective of.")
    joined = serializers.BooleanField(allow_null=True)
    progress = QuestProgressSerializer(allow_null=True)
    state = serializers.ChoiceField(choices=STATES, allow_null=True)

    def get_activity(self, card: QuestCard) -> str | None:
        return card.quest.activity.key if card.quest.activity_id else None  # type: ignore[union-attr]

    def get_required_layer(self, card: QuestCard) -> str | None:
        return card.quest.required_layer or None

    def get_event(self, card: QuestCard) -> int | None:
        return card.quest.event_id


class QuestCreateSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    """A goal (a player, for themself: the reward is the system's) or a challenge (staff or a
    key with quests:manage: ``kind`` "challenge", with its reward, start, layer and event)."""

    extra_error_codes = (NotAllowedForGoal.code,)

    kind = serializers.ChoiceField(choices=QUEST_KINDS, required=False)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    activity = StrictSlugField(max_length=50, trim_whitespace=False, required=False, allow_null=True, default=None)
    mode = serializers.ChoiceField(choices=MODE_CHOICES, required=False)
    target = ExactDecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField()
    reward_xp = serializers.IntegerField(min_value=0, max_value=CHALLENGE_REWARD_MAX, required=False)
    proof_required = serializers.BooleanField(required=False, default=False)
    required_layer = serializers.ChoiceField(choices=[c for c, _ in Quest.LAYER_CHOICES], required=False)
    event = serializers.IntegerField(min_value=1, required=False)

    CHALLENGE_ONLY = ("starts_at", "reward_xp", "required_layer", "event")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("kind", self.context.get("default_kind", Quest.GOAL)) == Quest.GOAL:
            errors = {name: field_error(NotAllowedForGoal) for name in self.CHALLENGE_ONLY if name in attrs}
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class QuestDecisionSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    user_id = serializers.IntegerField(min_value=1)
    verdict = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.Serializer[Any]):
    """The participation after the decision."""

    quest = serializers.IntegerField(source="quest_id")
    user_id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=STATES)
    reward_entry = serializers.IntegerField(source="reward_entry_id", allow_null=True)


class QuestBoardPlayerSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="pk")
    display_name = serializers.CharField(source="public_name")
    avatar_url = serializers.CharField()


class QuestBoardRowSerializer(serializers.Serializer[Any]):
    """One player on a challenge's board."""

    rank = serializers.IntegerField(min_value=1)
    player = QuestBoardPlayerSerializer(source="user")
    progress = serializers.SerializerMethodField()
    reached_at = serializers.DateTimeField(allow_null=True, help_text="When the current progress was reached.")
    state = serializers.ChoiceField(choices=STATES)

    @extend_schema_field(QuestProgressSerializer)
    def get_progress(self, row: BoardRow) -> dict[str, Any]:

        return progress_document(row.value, self.context["quest"].target)
