"""Strava integration: webhook events in, import records out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from integrations.models import StravaActivity

MAX_ID = 2**63 - 1


class StravaEventSerializer(serializers.Serializer[Any]):
    """One push event as Strava sends it (unknown fields are tolerated: Strava may add some)."""

    object_type = serializers.ChoiceField(choices=["activity", "athlete"])
    aspect_type = serializers.ChoiceField(choices=["create", "update", "delete"])
    object_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    owner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    subscription_id = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)
    event_time = serializers.IntegerField(min_value=0, max_value=MAX_ID, required=False)
    updates = serializers.DictField(required=False, allow_empty=True)


class StravaActivitySerializer(serializers.ModelSerializer[StravaActivity]):
    activity_id = serializers.IntegerField(source="strava_id")
    activity = serializers.SerializerMethodField()
    entry_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(source="reason_code")

    class Meta:
        model = StravaActivity
        fields = [
            "id",
            "activity_id",
            "name",
            "sport_type",
            "activity",
            "distance_m",
            "moving_time_s",
            "manual",
            "start_date",
            "units",
            "state",
            "reason",
            "review_reason",
            "xp",
            "entry_id",
            "revision",
            "created_at",
            "updated_at",
        ]

    def get_activity(self, obj: StravaActivity) -> str | None:
        return obj.activity_key or None


class StravaStatusSerializer(serializers.Serializer[Any]):
    connected = serializers.BooleanField()
    athlete_id = serializers.IntegerField(allow_null=True)
    connected_at = serializers.DateTimeField(allow_null=True)
    imports_since = serializers.DateTimeField(allow_null=True)
    backfill_available = serializers.BooleanField()
