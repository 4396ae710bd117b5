"""Shapes for the XP endpoints (input validation and output; no game logic here)."""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from api.fields import ExactDecimalField, NoUnknownFieldsMixin, StrictSlugField
from api.profile import LAYER_CODES, ProfileSerializer
from api.v1.serializers import QuestProgressSerializer
from core.constants.modes import MODE_CHOICES
from core.constants.quests import QUEST_KINDS, QUEST_STATES
from core.services.achievements.boosts import AppliedBoost
from core.services.achievements.unlocks import UnlockedTier
from core.services.quests.progress import QuestAdvance
from core.services.xp.results import LayerUp, LevelUp
from xp.models import ActivityType, XPEntry


class ActivitySerializer(serializers.ModelSerializer[ActivityType]):
    class Meta:
        model = ActivityType
        fields = [
            "key",
            "name",
            "mode",
            "unit",
            "xp_per_unit",
            "max_units_per_entry",
            "daily_unit_cap",
            "review_above",
            "description",
        ]


class AddXPInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    # Identifiers are validated as sent: "steps " or "steps\n" is not "steps" (no trimming).
    activity = StrictSlugField(max_length=50, trim_whitespace=False)
    units = ExactDecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=MODE_CHOICES, required=False)
    discord_id = serializers.CharField(max_length=32, required=False, trim_whitespace=False)
    # A service key only: the member's name in Discord, taken by an account that has none yet
    # (the player changes it later with PATCH /api/v1/user/profile/).
    display_name = serializers.CharField(max_length=100, required=False)
    proof_url = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="An https URL proving the activity; kept with the report when it is held for review.",
    )


class EntrySerializer(serializers.Serializer[Any]):
    """An entry in the xp/add answer (rendered from the XPEntry, activity loaded)."""

    id = serializers.IntegerField()
    activity = serializers.CharField(source="activity.key")
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    units = ExactDecimalField(max_digits=12, decimal_places=2)
    xp = serializers.IntegerField()
    created_at = serializers.DateTimeField()


_UNITS = ExactDecimalField(max_digits=12, decimal_places=2)
_TIME = serializers.DateTimeField()
_MULTIPLIER = ExactDecimalField(max_digits=6, decimal_places=3)


def entry_data(entry: XPEntry) -> dict[str, Any]:
    """What EntrySerializer renders (tests/xp/test_entry_data.py), without a serializer on the
    hot path."""
    return entry_document(entry.pk, entry.activity.key, entry.mode, entry.units, entry.xp, entry.created_at)


def entry_document(
    entry_id: int, activity_key: str, mode: str, units: Decimal, xp: int, created_at: datetime
) -> dict[str, Any]:
    """EntrySerializer's document from values alone."""
    return {
        "id": entry_id,
        "activity": activity_key,
        "mode": mode,
        "units": _UNITS.to_representation(units),
        "xp": xp,
        "created_at": _TIME.to_representation(created_at),
    }


def add_xp_document(
    entry: dict[str, Any],
    profile: dict[str, Any],
    level_up: LevelUp | None,
    layer_up: LayerUp | None,
    duplicate: bool,
    *,
    unlocked: Sequence[UnlockedTier] = (),
    boost: AppliedBoost | None = None,
    quests: Sequence[QuestAdvance] = (),
) -> dict[str, Any]:
    """AddXPResponseSerializer's document, built directly (xp/add is the hot path)."""
    return {
        "entry": entry,
        "awarded_xp": entry["xp"],
        "profile": profile,
        "level_up": {"from": level_up.from_level, "to": level_up.to_level} if level_up else None,
        "layer_up": (
            {"mode": layer_up.mode, "from": layer_up.from_layer.code, "to": layer_up.to_layer.code}
            if layer_up
            else None
        ),
        "duplicate": duplicate,
        "achievements": [{"key": u.key, "tier": u.tier, "name": u.name_en, "icon": u.icon} for u in unlocked],
        "boost": (
            {
                "name": boost.name,
                "multiplier": _MULTIPLIER.to_representation(boost.multiplier),
                "base_xp": boost.base_xp,
                "ends_at": _TIME.to_representation(boost.ends_at),
            }
            if boost
            else None
        ),
        "quests": [advance.document() for advance in quests],
    }


# "from" is a Python keyword: these two are declared through type().
LevelUpSerializer = type(
    "LevelUpSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The level before and after this entry.",
        "from": serializers.IntegerField(min_value=1),
        "to": serializers.IntegerField(min_value=1),
    },
)
LayerUpSerializer = type(
    "LayerUpSerializer",
    (serializers.Serializer,),
    {
        "__doc__": "The layer (code) before and after this entry, in the entry's mode.",
        "mode": serializers.ChoiceField(choices=MODE_CHOICES),
        "from": serializers.ChoiceField(choices=LAYER_CODES),
        "to": serializers.ChoiceField(choices=LAYER_CODES),
    },
)


class UnlockedAchievementSerializer(serializers.Serializer[Any]):
    key = serializers.SlugField()
    tier = serializers.ChoiceField(choices=["bronze", "silver", "gold"])
    name = serializers.CharField(help_text="The achievement's English name (GET /achievements/ has it localized).")
    icon = serializers.CharField()


class AppliedBoostSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    multiplier = ExactDecimalField(max_digits=6, decimal_places=3)
    base_xp = serializers.IntegerField(help_text="The XP before the boost.")
    ends_at = serializers.DateTimeField()


class QuestAdvanceSerializer(serializers.Serializer[Any]):
    """A quest an XP entry advanced."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=QUEST_KINDS)
    progress = QuestProgressSerializer()
    state = serializers.ChoiceField(choices=QUEST_STATES)
    completed = serializers.BooleanField(help_text="This entry completed the quest (or sent it to review).")


class AddXPResponseSerializer(serializers.Serializer[Any]):
    """The answer of POST /xp/add/ (also the replay of a retried Idempotency-Key). The view
    builds it as a dict on the hot path (api/v1/xp/views.py award_response); a test proves the
    dict is exactly what this serializer renders, and that real answers validate."""

    entry = EntrySerializer()
    awarded_xp = serializers.IntegerField(help_text="XP this entry added (the entry's xp).")
    profile = ProfileSerializer(help_text="The player's profile after this entry.")
    level_up = LevelUpSerializer(allow_null=True, help_text="null unless this entry raised the level.")
    layer_up = LayerUpSerializer(allow_null=True, help_text="null unless this entry raised the layer.")
    duplicate = serializers.BooleanField(
        help_text="true when this answers a retried Idempotency-Key (nothing was added again)."
    )
    achievements = UnlockedAchievementSerializer(
        many=True, help_text="Achievement tiers this entry unlocked (empty on a retried Idempotency-Key)."
    )
    boost = AppliedBoostSerializer(
        allow_null=True,
        help_text="The XP boost applied to this entry (awarded_xp = floor(base_xp x multiplier)), or null.",
    )
    quests = QuestAdvanceSerializer(
        many=True,
        help_text="The quests this entry advanced, with their progress after it; `completed` is true for "
        "a quest it completed (or, proof required, sent to review). Empty for a retried key.",
    )


ADD_XP_RESPONSE = AddXPResponseSerializer()


class HistoryEntrySerializer(serializers.ModelSerializer[XPEntry]):
    activity = serializers.CharField(source="activity.key")
    activity_name = serializers.CharField(source="activity.name")
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    season = serializers.CharField(source="season_id")

    class Meta:
        model = XPEntry
        fields = [
            "id",
            "activity",
            "activity_name",
            "mode",
            "units",
            "xp",
            "source",
            "note",
            "season",
            "corrects",
            "reason",
            "created_at",
        ]
