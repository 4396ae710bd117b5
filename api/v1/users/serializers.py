"""The profile document (built by core.selectors.accounts.profile.profile_summary) and its schema.

Views render profiles through ``ProfileSerializer``, so the schema and the answers come from the
same declaration (tests/api/test_schema_exact.py validates real answers against the schema)."""

from typing import Any

from rest_framework import serializers

from api.fields import SEASON_ID_PATTERN
from api.profile import (  # noqa: F401  (re-exported for this area's views)
    LAYER_CODES,
    PROFILE,
    CohortRefSerializer,
    CohortsByModeSerializer,
    LayersByModeSerializer,
    LayerSummarySerializer,
    LeaguesByModeSerializer,
    LevelSerializer,
    ProfileSeasonSerializer,
    ProfileSerializer,
    SeasonStandingSerializer,
    StreakSummariesSerializer,
    StreakSummarySerializer,
    XPTotalsSerializer,
    render_profile,
)
from core.constants.leagues import LEAGUES
from core.personal_data import PERSONAL_DATA


class StravaLinkSerializer(serializers.Serializer[Any]):
    connected = serializers.BooleanField()
    athlete_id = serializers.IntegerField(allow_null=True)


class IntegrationsSerializer(serializers.Serializer[Any]):
    strava = StravaLinkSerializer(help_text="Whether a Strava athlete is linked (docs/strava.md).")


class OwnProfileSerializer(ProfileSerializer):
    """The signed-in player's own profile: the profile plus their linked services and their
    cohort per mode this season (GET /api/v1/leaderboards/cohort/<mode>/ shows it)."""

    integrations = IntegrationsSerializer()
    public = serializers.BooleanField(
        help_text="Whether the player shows on public pages and rank cards (PATCH to change; docs/showcase.md)."
    )
    cohorts = CohortsByModeSerializer()
    timezone = serializers.CharField(help_text="The player's IANA time zone: their local day for streaks.")
    streak_reminders = serializers.BooleanField(
        help_text="A Discord DM a few hours before a streak would be lost (opt in with PATCH)."
    )
    streaks = StreakSummariesSerializer(help_text="Current and longest streak per mode (GET /user/streaks/ has more).")
    achievements_count = serializers.IntegerField(
        min_value=0, help_text="Achievements with at least one tier unlocked."
    )


OWN_PROFILE = OwnProfileSerializer()


def render_own_profile(summary: dict[str, Any]) -> dict[str, Any]:
    return OWN_PROFILE.to_representation(summary)  # type: ignore[no-any-return]


class SeasonTrophyBadgeSerializer(serializers.Serializer[Any]):
    league = serializers.ChoiceField(choices=list(LEAGUES), allow_null=True)
    rank = serializers.IntegerField(min_value=1, max_value=3)


class PastSeasonSerializer(serializers.Serializer[Any]):
    season = serializers.RegexField(SEASON_ID_PATTERN)
    mode = serializers.ChoiceField(choices=["reality", "cyber"])
    rank = serializers.IntegerField(
        allow_null=True,
        help_text="Final rank on the board the move was decided on (the cohort; the league board for "
        "seasons closed before cohorts); null without XP.",
    )
    cohort_rank = serializers.IntegerField(
        allow_null=True, help_text="Final rank within the cohort; null without XP or without a cohort."
    )
    cohort = CohortRefSerializer(allow_null=True, help_text="The cohort played in; null without one.")
    xp = serializers.IntegerField()
    league = serializers.ChoiceField(choices=list(LEAGUES), help_text="The league played in that season.")
    new_league = serializers.ChoiceField(choices=list(LEAGUES), help_text="The league after the season closed.")
    movement = serializers.ChoiceField(choices=["up", "down", "stay"])
    closed_at = serializers.DateTimeField(allow_null=True)
    trophies = SeasonTrophyBadgeSerializer(
        many=True, help_text="Top-3 trophies of this season and mode: the whole board (league null) and the league's."
    )


class PastSeasonsSerializer(serializers.Serializer[Any]):
    results = PastSeasonSerializer(many=True, help_text="Closed seasons, newest first.")


class ExportAccountSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField(allow_blank=True)
    avatar_url = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    discord_id = serializers.CharField(allow_null=True)
    display_name_chosen = serializers.BooleanField()
    first_name = serializers.CharField(allow_null=True)
    last_name = serializers.CharField(allow_null=True)
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)


class ExportDiscordLinkSerializer(serializers.Serializer[Any]):
    discord_id = serializers.CharField()
    scope = serializers.CharField(allow_blank=True)
    linked_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    pushed_metadata = serializers.JSONField(allow_null=True)
    pushed_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    tokens = serializers.CharField(help_text="The tokens are held encrypted and never shown.")


class ExportLinkedAccountSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    uid = serializers.CharField()
    date_joined = serializers.DateTimeField()
    last_login = serializers.DateTimeField(allow_null=True)
    extra_data = serializers.JSONField(help_text="What the provider said about the account at the last sign-in.")


class ExportEntrySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    activity__key = serializers.CharField()
    mode = serializers.CharField()
    units = serializers.DecimalField(max_digits=12, decimal_places=2)
    xp = serializers.IntegerField()
    note = serializers.CharField(allow_blank=True)
    idempotency_key = serializers.CharField(allow_null=True)
    corrects_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    season_id = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # "source" names the ledger column; as a class attribute it would shadow Field.source.
        return {**super().get_fields(), "source": serializers.CharField(help_text="web, mobile, bot, discord, ...")}


class ExportScoreSerializer(serializers.Serializer[Any]):
    season_id = serializers.CharField()
    mode = serializers.CharField()
    xp = serializers.IntegerField()
    league = serializers.CharField()


class ExportLayerChangeSerializer(serializers.Serializer[Any]):
    mode = serializers.CharField()
    from_layer = serializers.IntegerField()
    to_layer = serializers.IntegerField()
    reason = serializers.CharField()
    entry_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExportParticipationSerializer(serializers.Serializer[Any]):
    event_id = serializers.IntegerField()
    event__name = serializers.CharField()
    joined_at = serializers.DateTimeField()


class PersonalDataSerializer(serializers.Serializer[Any]):
    """Every personal datum the backend holds about the player (GDPR Art. 15 and 20)."""

    account = ExportAccountSerializer()
    profile = ProfileSerializer()
    linked_accounts = ExportLinkedAccountSerializer(many=True)
    discord_link = ExportDiscordLinkSerializer(allow_null=True, help_text="The Linked Roles authorisation.")
    strava = serializers.JSONField(help_text="The Strava link and every imported activity (docs/strava.md).")
    xp_entries = ExportEntrySerializer(many=True)
    season_scores = ExportScoreSerializer(many=True)
    season_results = PastSeasonSerializer(many=True)
    layer_changes = ExportLayerChangeSerializer(many=True)
    event_participations = ExportParticipationSerializer(many=True)

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # The models core/personal_data.py exports row by row, each under its key.
        rows = {
            handling.export: serializers.ListField(
                child=serializers.DictField(), help_text=f"Rows of {label} (every field)."
            )
            for label, handling in PERSONAL_DATA.items()
            if handling.rows
        }
        return {**super().get_fields(), **rows}
