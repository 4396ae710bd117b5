"""Shapes for the XP endpoints (input validation and output; no game logic here)."""

from typing import Any

from rest_framework import serializers

from api.fields import JSONNumberDecimalField, NoUnknownFieldsMixin, StrictSlugField
from core.constants.modes import MODE_CHOICES
from xp.models import ActivityType, XPEntry


class ActivitySerializer(serializers.ModelSerializer[ActivityType]):
    class Meta:
        model = ActivityType
        fields = ["key", "name", "mode", "unit", "xp_per_unit", "max_units_per_entry", "daily_unit_cap", "description"]


class AddXPInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    # Identifiers are validated as sent: "steps " or "steps\n" is not "steps" (no trimming).
    activity = StrictSlugField(max_length=50, trim_whitespace=False)
    units = JSONNumberDecimalField(max_digits=12, decimal_places=2)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    mode = serializers.ChoiceField(choices=MODE_CHOICES, required=False)
    discord_id = serializers.CharField(max_length=32, required=False, trim_whitespace=False)


_UNITS = serializers.DecimalField(max_digits=12, decimal_places=2)
_TIME = serializers.DateTimeField()


def entry_data(entry: XPEntry) -> dict[str, Any]:
    """What EntrySerializer renders, without building a ModelSerializer on the hot path."""
    return {
        "id": entry.pk,
        "activity": entry.activity.key,
        "mode": entry.mode,
        "units": _UNITS.to_representation(entry.units),
        "xp": entry.xp,
        "created_at": _TIME.to_representation(entry.created_at),
    }


class EntrySerializer(serializers.ModelSerializer[XPEntry]):
    """The schema of an entry in the xp/add answer (rendered by ``entry_data``)."""

    activity = serializers.CharField(source="activity.key")

    class Meta:
        model = XPEntry
        fields = ["id", "activity", "mode", "units", "xp", "created_at"]


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
