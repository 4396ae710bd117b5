from django.contrib import admin

from .models import Season, SeasonResult, SeasonScore


class StandingsInline(admin.TabularInline):
    model = SeasonScore
    fields = ["user", "mode", "xp", "league", "reached_at"]
    readonly_fields = ["user", "mode", "xp", "league", "reached_at"]
    ordering = ["mode", "-xp", "reached_at"]
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):  # type: ignore[no-untyped-def]
        return super().get_queryset(request).select_related("user")


@admin.register(Season)
class SeasonAdmin(admin.ModelAdmin):
    list_display = ["id", "starts_at", "ends_at", "status", "closed_at"]
    list_filter = ["status"]
    readonly_fields = ["id", "starts_at", "ends_at", "status", "closed_at"]


@admin.register(SeasonScore)
class SeasonScoreAdmin(admin.ModelAdmin):
    list_display = ["season", "mode", "user", "xp", "league", "reached_at"]
    list_filter = ["season", "mode", "league"]
    search_fields = ["user__username", "user__display_name"]
    ordering = ["season", "mode", "-xp", "reached_at", "user_id"]
    list_select_related = ["user"]
    readonly_fields = ["user", "season", "mode", "xp", "league", "reached_at", "version"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(SeasonResult)
class SeasonResultAdmin(admin.ModelAdmin):
    list_display = ["season", "mode", "user", "xp", "rank", "league", "new_league", "movement"]
    list_filter = ["season", "mode", "league", "movement"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
