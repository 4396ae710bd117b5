from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest

from layers.models import CyberLayerStatus, Event, EventParticipation, LayerChange, RealityLayerStatus


@admin.register(RealityLayerStatus, CyberLayerStatus)
class LayerStatusAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Derived from the ledger (award_xp keeps it; `manage.py recompute_layers` rebuilds it)."""

    list_display = ["user", "layer_code", "layer", "reached_at"]
    list_filter = ["layer"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__display_name", "user__discord_id"]
    readonly_fields = ["user", "layer", "reached_at"]
    ordering = ["-layer", "reached_at"]

    @admin.display(description="code")
    def layer_code(self, obj: RealityLayerStatus | CyberLayerStatus) -> str:
        return obj.code

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(LayerChange)
class LayerChangeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "mode", "from_layer", "to_layer", "reason", "entry", "created_at"]
    list_filter = ["mode", "reason"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__display_name", "user__discord_id"]
    raw_id_fields = ["user", "entry"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ParticipantInline(admin.TabularInline):  # type: ignore[type-arg]
    """Admins may remove a participant (the seat count is recounted on save); players join
    through the API, where the layer gate and the capacity apply."""

    model = EventParticipation
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["user", "joined_at"]
    fields = ["user", "joined_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "name",
        "kind",
        "mode",
        "required_layer",
        "starts_at",
        "ends_at",
        "capacity",
        "participant_count",
        "is_published",
    ]
    list_filter = ["kind", "mode", "required_layer", "is_published"]
    search_fields = ["name", "description"]
    date_hierarchy = "starts_at"
    inlines = [ParticipantInline]
    readonly_fields = ["participant_count", "created_at"]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # Removing participants here must give their seats back; lock the row so a join
        # running at the same time queues behind this recount (the admin view is atomic).
        event = Event.objects.select_for_update().get(pk=form.instance.pk)
        count = Event.objects.filter(pk=event.pk).aggregate(n=Count("participations"))["n"]
        Event.objects.filter(pk=event.pk).update(participant_count=count)
