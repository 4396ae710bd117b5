from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.exceptions import DomainError
from core.services.xp import correct_entry

from .models import ActivityType, UserProfile, XPEntry


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = [
        "key",
        "name",
        "mode",
        "unit",
        "xp_per_unit",
        "max_units_per_entry",
        "daily_unit_cap",
        "review_above",
        "is_active",
    ]
    list_filter = ["mode", "is_active"]
    list_editable = ["xp_per_unit", "max_units_per_entry", "daily_unit_cap", "review_above", "is_active"]
    search_fields = ["key", "name"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "total_xp", "reality_xp", "cyber_xp", "level", "reality_league", "cyber_league"]
    search_fields = ["user__username", "user__display_name", "user__discord_id"]
    readonly_fields = ["user", "total_xp", "reality_xp", "cyber_xp", "level", "updated_at"]
    list_select_related = ["user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(XPEntry)
class XPEntryAdmin(admin.ModelAdmin):
    """The ledger is read-only; the only write is a correction, through the XP service."""

    list_display = ["id", "user", "activity", "mode", "units", "xp", "source", "season", "corrects", "created_at"]
    list_filter = ["mode", "source", "activity", "season"]
    search_fields = ["user__username", "user__discord_id", "idempotency_key", "note"]
    list_select_related = ["user", "activity"]
    raw_id_fields = ["user", "corrects"]
    date_hierarchy = "created_at"
    actions = ["correct_entries"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Correct (reverse) the selected entries…", permissions=["view"])
    def correct_entries(self, request: HttpRequest, queryset) -> HttpResponse | None:  # type: ignore[no-untyped-def]
        if not request.user.has_perm("xp.add_xpentry") and not request.user.is_superuser:
            self.message_user(request, "You may not record corrections.", messages.ERROR)
            return None
        if "apply" in request.POST:
            reason = request.POST.get("reason", "")
            done = 0
            for entry in queryset.select_related("activity"):
                try:
                    correct_entry(entry=entry, reason=reason, corrected_by=request.user)  # type: ignore[arg-type]
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"Entry {entry.pk}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, f"Recorded {done} correction(s).", messages.SUCCESS)
            return redirect(request.get_full_path())
        return render(
            request,
            "admin/xp/correct_entries.html",
            {
                **self.admin_site.each_context(request),
                "entries": queryset,
                "action_name": "correct_entries",
                "title": "Correct XP entries",
            },
        )
