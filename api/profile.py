"""The player profile as every answer shows it (the own profile, xp/add, boards' rows): shared
by the API's areas, which never import each other."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import SEASON_ID_PATTERN
from core.constants.layers import BY_CODE
from core.constants.leagues import LEAGUES

LAYER_CODES = sorted(BY_CODE)


class StreakSummarySerializer(serializers.Serializer[Any]):
    current = serializers.IntegerField(min_value=0)
    longest = serializers.IntegerField(min_value=0)


class StreakSummariesSerializer(serializers.Serializer[Any]):
    reality = StreakSummarySerializer()
    cyber = StreakSummarySerializer()


class XPTotalsSerializer(serializers.Serializer[Any]):
    total = serializers.IntegerField(help_text="Lifetime XP, both modes.")
    reality = serializers.IntegerField(help_text="Lifetime reality XP.")
    cyber = serializers.IntegerField(help_text="Lifetime cyber XP.")


class LevelSerializer(serializers.Serializer[Any]):
    current = serializers.IntegerField(min_value=1, help_text="The current level (1 to 10,000).")
    xp_into_level = serializers.IntegerField(min_value=0, help_text="XP earned since the current level began.")
    xp_for_next_level = serializers.IntegerField(
        min_value=1,
        allow_null=True,
        help_text="The XP still needed to reach the next level (not the size of the level); null at the level cap.",
    )
    progress = serializers.FloatField(
        min_value=0, max_value=1, help_text="Share of the current level done, 0 to 1 (4 decimal places)."
    )


class LayerSummarySerializer(serializers.Serializer[Any]):
    code = serializers.ChoiceField(choices=LAYER_CODES)
    name = serializers.CharField()
    order = serializers.IntegerField(min_value=0, help_text="Position on the mode's ladder, from 0.")
    next_code = serializers.ChoiceField(choices=LAYER_CODES, allow_null=True, help_text="null on the top layer.")
    xp_to_next = serializers.IntegerField(
        min_value=0, allow_null=True, help_text="Mode XP still needed for the next layer; null on the top layer."
    )


class LayersByModeSerializer(serializers.Serializer[Any]):
    reality = LayerSummarySerializer()
    cyber = LayerSummarySerializer()


class LeaguesByModeSerializer(serializers.Serializer[Any]):
    reality = serializers.ChoiceField(choices=list(LEAGUES))
    cyber = serializers.ChoiceField(choices=list(LEAGUES))


class SeasonStandingSerializer(serializers.Serializer[Any]):
    xp = serializers.IntegerField(help_text="XP in this season and mode.")
    rank = serializers.IntegerField(min_value=1, allow_null=True, help_text="null without XP this season.")


class ProfileSeasonSerializer(serializers.Serializer[Any]):
    id = serializers.RegexField(SEASON_ID_PATTERN, help_text="The current season, YYYY-MM (UTC month).")
    reality = SeasonStandingSerializer()
    cyber = SeasonStandingSerializer()


class ProfileSerializer(serializers.Serializer[Any]):
    """A player's XP, level, layers, leagues and this season's standing."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    avatar_url = serializers.CharField(allow_null=True)
    discord_id = serializers.CharField(allow_null=True)
    xp = XPTotalsSerializer()
    level = LevelSerializer()
    layers = LayersByModeSerializer()
    leagues = LeaguesByModeSerializer()
    season = ProfileSeasonSerializer()


def render_profile(summary: dict[str, Any]) -> dict[str, Any]:
    return PROFILE.to_representation(summary)  # type: ignore[no-any-return]


# One bound instance: rendering a dict does not need a fresh serializer (and its deep-copied
# fields) per request; to_representation keeps no per-call state.
PROFILE = ProfileSerializer()


class CohortRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField(min_value=1, help_text="1, 2, ... within the season, mode and league.")
    league = serializers.ChoiceField(choices=list(LEAGUES), help_text="The league the cohort plays in.")


class CohortsByModeSerializer(serializers.Serializer[Any]):
    reality = CohortRefSerializer(allow_null=True, help_text="null before the season's first reality XP.")
    cyber = CohortRefSerializer(allow_null=True, help_text="null before the season's first cyber XP.")
