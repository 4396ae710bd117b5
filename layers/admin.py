from django.contrib import admin

from .models import CyberLayerStatus, Event, EventParticipation, LayerChange, RealityLayerStatus


@admin.register(RealityLayerStatus, CyberLayerStatus)
class LayerStatusAdmin(admin.ModelAdmin):
    list_display = ["user", "layer", "reached_at"]
    list_select_related = ["user"]
    readonly_fields = ["user", "layer", "reached_at"]


@admin.register(LayerChange)
class LayerChangeAdmin(admin.ModelAdmin):
    list_display = ["user", "mode", "from_layer", "to_layer", "reason", "entry", "created_at"]
    list_filter = ["mode", "reason"]
    list_select_related = ["user"]
    raw_id_fields = ["user", "entry"]


class ParticipantInline(admin.TabularInline):
    model = EventParticipation
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["joined_at"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "mode", "required_layer", "starts_at", "ends_at", "capacity", "participant_count"]
    list_filter = ["kind", "mode", "required_layer"]
    inlines = [ParticipantInline]
    readonly_fields = ["participant_count"]
