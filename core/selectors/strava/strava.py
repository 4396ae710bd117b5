"""Reads about a player's Strava link and imported activities."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from core.constants.strava import BACKFILL_DAYS
from integrations.models import StravaActivity, StravaConnection
from users.models import CustomUser


def import_from(connection: StravaConnection) -> datetime:
    """Activities that started before this moment are not imported (whole seconds, as Strava's
    start dates)."""
    connected = connection.connected_at.replace(microsecond=0)
    if connection.backfill_requested_at is None:
        return connected
    return min(connected, connection.backfill_requested_at.replace(microsecond=0) - timedelta(days=BACKFILL_DAYS))


def strava_status(user: CustomUser) -> dict[str, Any]:
    """Whether Strava is connected, for the profile: {"connected", "athlete_id"}."""
    athlete_id = StravaConnection.objects.filter(user_id=user.pk).values_list("athlete_id", flat=True).first()
    return {"connected": athlete_id is not None, "athlete_id": athlete_id}


def strava_connection_detail(user: CustomUser) -> dict[str, Any]:
    connection = StravaConnection.objects.filter(user_id=user.pk).first()
    if connection is None:
        return {
            "connected": False,
            "athlete_id": None,
            "connected_at": None,
            "imports_since": None,
            "backfill_available": False,
        }
    return {
        "connected": True,
        "athlete_id": connection.athlete_id,
        "connected_at": connection.connected_at,
        "imports_since": import_from(connection),
        "backfill_available": connection.backfill_requested_at is None,
    }


def player_strava_activities(user: CustomUser) -> QuerySet[StravaActivity]:
    return StravaActivity.objects.filter(user_id=user.pk)


def strava_personal_data(user: CustomUser) -> dict[str, Any]:
    """What the export shows about Strava (never the tokens)."""
    connection = StravaConnection.objects.filter(user_id=user.pk).first()
    linked = None
    if connection is not None:
        linked = {
            "athlete_id": connection.athlete_id,
            "scope": connection.scope,
            "connected_at": connection.connected_at,
            "backfill_requested_at": connection.backfill_requested_at,
        }
    activities = StravaActivity.objects.filter(user_id=user.pk).order_by("id")
    return {
        "connection": linked,
        "activities": list(
            activities.values(
                "strava_id",
                "name",
                "sport_type",
                "distance_m",
                "moving_time_s",
                "manual",
                "start_date",
                "state",
                "reason_code",
                "review_reason",
                "xp",
                "entry_id",
                "created_at",
            )
        ),
    }
