"""The seasonal leaderboard answer (rendered by the views from core.selectors.seasons.leaderboard)."""

from typing import Any

from rest_framework import serializers

from api.fields import SEASON_ID_PATTERN
from api.profile import LAYER_CODES, CohortRefSerializer
from core.constants.leagues import LEAGUES
from core.constants.modes import MODE_CHOICES
from core.selectors.seasons.leaderboard import Row
from seasons.models import Season


class SeasonSerializer(serializers.ModelSerializer[Season]):
    id = serializers.RegexField(SEASON_ID_PATTERN, help_text="YYYY-MM (a UTC calendar month).")

    class Meta:
        model = Season
        fields = ["id", "starts_at", "ends_at", "status", "closed_at"]


class BoardUserSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)

    def get_attribute(self, instance: Any) -> Any:
        return instance  # the row itself carries the user's fields


class BoardRowSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField(min_value=1, help_text="Standard competition rank (1, 2, 2, 4).")
    user = BoardUserSerializer()
    xp = serializers.IntegerField(min_value=1, help_text="XP in this season and mode.")
    level = serializers.IntegerField(min_value=1)
    layer = serializers.ChoiceField(choices=LAYER_CODES, help_text="The player's layer code in this mode.")
    league = serializers.ChoiceField(choices=list(LEAGUES))


class BoardMeSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField(min_value=1)
    xp = serializers.IntegerField(min_value=1)
    league = serializers.ChoiceField(choices=list(LEAGUES))
    around = BoardRowSerializer(many=True, help_text="The signed-in player's row and up to 2 neighbours each side.")


class LeaderboardSerializer(serializers.Serializer[Any]):
    """One page of a seasonal board: ranked players with XP in the season and mode."""

    season = serializers.RegexField(SEASON_ID_PATTERN)
    season_status = serializers.ChoiceField(choices=Season.STATUS_CHOICES)
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    league = serializers.ChoiceField(choices=list(LEAGUES), allow_null=True, help_text="The ?league= filter, or null.")
    page = serializers.IntegerField(min_value=1)
    page_size = serializers.IntegerField(min_value=1)
    results = BoardRowSerializer(many=True)
    me = BoardMeSerializer(
        allow_null=True, help_text="The signed-in player's standing; null when signed out or without XP on this board."
    )
    next = serializers.URLField(allow_null=True, help_text="The next page, or null on the last one.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null on the first one.")


class AllTimeLeaderboardSerializer(LeaderboardSerializer):
    """One page of an all-time board: players ranked on lifetime XP in the mode (no season,
    no league filter: leagues are per season; ``league`` of a row is the player's current one)."""

    season = serializers.ChoiceField(choices=["all-time"])  # type: ignore[assignment]
    season_status = serializers.ChoiceField(choices=Season.STATUS_CHOICES, allow_null=True, help_text="Always null.")


def board_rows_document(rows: list[Row]) -> list[dict[str, Any]]:
    """Board rows as BoardRowSerializer writes them, as plain values (a page shows up to 105
    rows; the serializer stays the contract, and tests hold the two equal)."""
    return [
        {
            "rank": row.rank,
            "user": {
                "id": row.user_id,
                "username": row.username,
                "display_name": row.display_name,
                "avatar_url": row.avatar_url,
            },
            "xp": row.xp,
            "level": row.level,
            "layer": row.layer,
            "league": row.league,
        }
        for row in rows
    ]


class CohortSerializer(CohortRefSerializer):
    size = serializers.IntegerField(min_value=1, help_text="Seats in the cohort (COHORT_SIZE when it opened).")
    players = serializers.IntegerField(min_value=0, help_text="Players of the cohort with XP this season.")
    promotes = serializers.IntegerField(
        min_value=0, help_text="How many move up at close (how many moved, once the season is closed)."
    )
    demotes = serializers.IntegerField(
        min_value=0, help_text="How many with XP move down at close (players without XP move down too)."
    )


class CohortRowSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField(min_value=1, allow_null=True, help_text="Competition rank; null without XP.")
    user = BoardUserSerializer()
    xp = serializers.IntegerField(help_text="XP in this season and mode.")
    level = serializers.IntegerField(min_value=1)
    layer = serializers.ChoiceField(choices=LAYER_CODES)
    promotion_zone = serializers.BooleanField(help_text="Moves up if the season closed now (moved up, when closed).")
    demotion_zone = serializers.BooleanField(help_text="Moves down if the season closed now (moved down, when closed).")


class CohortBoardSerializer(serializers.Serializer[Any]):
    """The signed-in player's cohort in a season and mode; ``cohort`` null before their first XP."""

    season = serializers.RegexField(SEASON_ID_PATTERN)
    season_status = serializers.ChoiceField(choices=Season.STATUS_CHOICES)
    ends_at = serializers.DateTimeField(help_text="When the season ends (exclusive), UTC.")
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    league = serializers.ChoiceField(choices=list(LEAGUES), allow_null=True, help_text="The cohort's league.")
    cohort = CohortSerializer(allow_null=True)
    results = CohortRowSerializer(many=True, help_text="The cohort's players with XP, best first.")
    me = CohortRowSerializer(allow_null=True, help_text="The signed-in player's row; null without a cohort.")
