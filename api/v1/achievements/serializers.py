"""Shapes for streaks, achievements, trophies and boosts (output only; no game logic here)."""

from typing import Any

from rest_framework import serializers

from api.fields import SEASON_ID_PATTERN, ExactDecimalField
from core.constants.leagues import LEAGUES
from core.constants.modes import MODE_CHOICES

TIER_CHOICES = ["bronze", "silver", "gold"]


class StreakSerializer(serializers.Serializer[Any]):
    current = serializers.IntegerField(min_value=0, help_text="Consecutive local days with an award (0: none).")
    longest = serializers.IntegerField(min_value=0)
    freezes = serializers.IntegerField(min_value=0, max_value=2, help_text="Freezes held (at most 2).")
    today_done = serializers.BooleanField(help_text="An award on the player's local today in this mode.")
    ends_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the streak is lost without an award (held freezes included); null without a streak.",
    )


class StreaksSerializer(serializers.Serializer[Any]):
    reality = StreakSerializer()
    cyber = StreakSerializer()


class FreezeSpentSerializer(serializers.Serializer[Any]):
    day = serializers.DateField(help_text="The local day the freeze covers.")
    streaks = StreaksSerializer()


class TierSerializer(serializers.Serializer[Any]):
    tier = serializers.ChoiceField(choices=TIER_CHOICES)
    threshold = ExactDecimalField(max_digits=14, decimal_places=2)
    met = serializers.BooleanField(help_text="The player's value meets the threshold now.")
    unlocked_at = serializers.DateTimeField(allow_null=True)


class AchievementFieldsSerializer(serializers.Serializer[Any]):
    key = serializers.SlugField()
    name = serializers.CharField(help_text="In the request's language (en, de).")
    description = serializers.CharField(allow_blank=True)
    icon = serializers.CharField(allow_blank=True)
    secret = serializers.BooleanField()
    kind = serializers.CharField()
    mode = serializers.ChoiceField(choices=MODE_CHOICES, allow_null=True)


class CatalogueItemSerializer(AchievementFieldsSerializer):
    value = ExactDecimalField(
        max_digits=16, decimal_places=2, allow_null=True, help_text="The player's value for the rule (null: none yet)."
    )
    tiers = TierSerializer(many=True)


class CatalogueSerializer(serializers.Serializer[Any]):
    results = CatalogueItemSerializer(many=True)


class UnlockedSerializer(AchievementFieldsSerializer):
    tier = serializers.ChoiceField(choices=TIER_CHOICES)
    unlocked_at = serializers.DateTimeField()


class TrophySerializer(serializers.Serializer[Any]):
    season = serializers.RegexField(SEASON_ID_PATTERN)
    mode = serializers.ChoiceField(choices=MODE_CHOICES)
    league = serializers.ChoiceField(
        choices=list(LEAGUES), allow_null=True, help_text="null: the mode's whole board; else that league's board."
    )
    rank = serializers.IntegerField(min_value=1, max_value=3)
    xp = serializers.IntegerField()


class PlayerAchievementsSerializer(serializers.Serializer[Any]):
    achievements = UnlockedSerializer(many=True)
    trophies = TrophySerializer(many=True)


class BoostSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    multiplier = ExactDecimalField(max_digits=6, decimal_places=3)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    mode = serializers.ChoiceField(choices=MODE_CHOICES, allow_null=True, help_text="null: every mode.")
    activity = serializers.SlugField(allow_null=True, help_text="null: every activity of the mode.")
    layer = serializers.CharField(allow_null=True, help_text="A layer code: only players in that layer.")


class BoostsSerializer(serializers.Serializer[Any]):
    active = BoostSerializer(many=True)
    upcoming = BoostSerializer(many=True)
