from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import Season, SeasonResult, SeasonScore


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the game writes (scores, final results): admins look, never edit."""

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["id", "starts_at", "ends_at", "status", "closed_at", "standings"]
    list_filter = ["status"]
    readonly_fields = ["id", "starts_at", "ends_at", "status", "closed_at", "standings"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # seasons are made by the game itself (one per UTC month)

    @admin.display(description="standings")
    def standings(self, obj: Season) -> str:
        scores = reverse("admin:seasons_seasonscore_changelist")
        results = reverse("admin:seasons_seasonresult_changelist")
        return format_html(
            '<a href="{}?season__id__exact={}&mode__exact=reality">reality</a> · '
            '<a href="{}?season__id__exact={}&mode__exact=cyber">cyber</a> · '
            '<a href="{}?season__id__exact={}">final results</a>',
            scores,
            obj.id,
            scores,
            obj.id,
            results,
            obj.id,
        )


@admin.register(SeasonScore)
class SeasonScoreAdmin(ReadOnlyAdmin):
    """Standings: ordered like the leaderboard (XP, then who reached it first)."""

    list_display = ["season", "mode", "user", "xp", "league", "reached_at"]
    list_filter = ["season", "mode", "league"]
    search_fields = ["user__username", "user__display_name", "user__discord_id"]
    ordering = ["season", "mode", "-xp", "reached_at", "user_id"]
    list_select_related = ["user"]
    show_full_result_count = False  # no COUNT(*) over a million rows per page view


@admin.register(SeasonResult)
class SeasonResultAdmin(ReadOnlyAdmin):
    list_display = ["season", "mode", "user", "xp", "rank", "league", "new_league", "movement"]
    list_filter = ["season", "mode", "league", "movement"]
    search_fields = ["user__username"]
    ordering = ["season", "mode", "league", "rank"]
    list_select_related = ["user"]
    show_full_result_count = False
