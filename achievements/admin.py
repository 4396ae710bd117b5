from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from achievements.tasks import grant_achievement
from core.selectors.achievements import achievement_catalogue

from .models import Achievement, AchievementUnlock, SeasonTrophy, StreakState, XPBoost


@admin.register(Achievement)
class AchievementAdmin(admin.ModelAdmin):
    list_display = ["key", "name_en", "kind", "mode", "bronze", "silver", "gold", "secret", "is_active", "granted_at"]
    list_filter = ["kind", "secret", "is_active"]
    search_fields = ["key", "name_en", "name_de"]
    readonly_fields = ["granted_through", "granted_at", "created_at"]

    def save_model(self, request: HttpRequest, obj: Achievement, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        rules_changed = not change or bool(
            {"kind", "mode", "activity_key", "bronze", "silver", "gold", "is_active"} & set(form.changed_data)
        )
        if rules_changed:  # grant it again to everyone who qualifies now
            obj.granted_through, obj.granted_at = 0, None
        super().save_model(request, obj, form, change)
        achievement_catalogue.forget_catalogue()
        if rules_changed and obj.is_active:
            transaction.on_commit(lambda: grant_achievement.defer(achievement_id=obj.pk))


@admin.register(XPBoost)
class XPBoostAdmin(admin.ModelAdmin):
    list_display = ["name", "multiplier", "starts_at", "ends_at", "mode", "activity", "layer", "announced_at"]
    readonly_fields = ["announced_at", "created_at"]

    def save_model(self, request: HttpRequest, obj: XPBoost, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        achievement_catalogue.forget_catalogue()


@admin.register(AchievementUnlock)
class AchievementUnlockAdmin(admin.ModelAdmin):
    list_display = ["user", "achievement", "tier", "unlocked_at"]
    list_select_related = ["user", "achievement"]
    raw_id_fields = ["user", "entry"]


admin.site.register(SeasonTrophy)
admin.site.register(StreakState)
