"""Admin: Strava connections (tokens never shown) and the review queue of held activities."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from core.exceptions import DomainError
from core.services.strava import strava_service
from integrations.models import StravaActivity, StravaConnection


@admin.register(StravaConnection)
class StravaConnectionAdmin(admin.ModelAdmin):
    list_display = ["athlete_id", "user", "connected_at", "expires_at", "backfill_requested_at"]
    search_fields = ["athlete_id", "user__username", "user__discord_id"]
    fields = ("user", "athlete_id", "scope", "connected_at", "expires_at", "backfill_requested_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewStateFilter(admin.SimpleListFilter):
    """Opens on the review queue (held); "All" and every other state on request."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("all", "All"), *[(value, str(label)) for value, label in StravaActivity.State.choices]]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or StravaActivity.State.HELD
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value() or StravaActivity.State.HELD
        return queryset if value == "all" else queryset.filter(state=value)


@admin.register(StravaActivity)
class StravaActivityAdmin(admin.ModelAdmin):
    list_display = [
        "strava_id",
        "user",
        "sport_type",
        "distance_m",
        "moving_time_s",
        "manual",
        "state",
        "reason_code",
        "xp",
        "created_at",
    ]
    list_filter = [ReviewStateFilter, "sport_type", "manual"]
    search_fields = ["strava_id", "athlete_id", "user__username"]
    list_select_related = ["user"]
    actions = ["approve_activities", "reject_activities"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in StravaActivity._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _may_review(self, request: HttpRequest) -> bool:
        user: Any = request.user
        if user.is_superuser or user.has_perm("integrations.change_stravaactivity"):
            return True
        self.message_user(request, "You may not review Strava activities.", messages.ERROR)
        return False

    @admin.action(description="Approve the selected held activities (award XP)", permissions=["view"])
    def approve_activities(self, request: HttpRequest, queryset: QuerySet[StravaActivity]) -> None:
        if not self._may_review(request):
            return
        approved = 0
        for record in queryset:
            try:
                record = strava_service.approve(record=record, reviewer=request.user)  # type: ignore[arg-type]
            except DomainError as exc:
                self.message_user(request, f"Activity {record.strava_id}: {exc.message}", messages.ERROR)
                continue
            if record.state == StravaActivity.State.AWARDED:
                approved += 1
            else:
                self.message_user(
                    request, f"Activity {record.strava_id}: refused ({record.reason_code})", messages.WARNING
                )
        if approved:
            self.message_user(
                request, f"Awarded {approved} activit{'y' if approved == 1 else 'ies'}.", messages.SUCCESS
            )

    @admin.action(description="Reject the selected held activities…", permissions=["view"])
    def reject_activities(self, request: HttpRequest, queryset: QuerySet[StravaActivity]) -> HttpResponse | None:
        if not self._may_review(request):
            return None
        if "apply" in request.POST:
            reason = request.POST.get("reason", "")
            done = 0
            for record in queryset:
                try:
                    strava_service.reject(record=record, reviewer=request.user, reason=reason)  # type: ignore[arg-type]
                    done += 1
                except DomainError as exc:
                    self.message_user(request, f"Activity {record.strava_id}: {exc.message}", messages.ERROR)
            if done:
                self.message_user(request, f"Rejected {done} activit{'y' if done == 1 else 'ies'}.", messages.SUCCESS)
            return redirect(request.get_full_path())
        return render(
            request,
            "admin/integrations/reject_activities.html",
            {
                **self.admin_site.each_context(request),
                "records": queryset,
                "action_name": "reject_activities",
                "title": "Reject Strava activities",
            },
        )
