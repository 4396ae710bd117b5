"""Shapes for the layer and event endpoints (output only; the rules live in layer_service)."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.services.layers import layer_service
from layers.models import Event, EventParticipation


class LayerSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    mode = serializers.CharField()
    order = serializers.IntegerField()
    min_xp = serializers.IntegerField()
    description = serializers.CharField()


class EventSerializer(serializers.ModelSerializer[Event]):
    """An event card. ``can_join``, ``missing_xp`` and ``joined`` are null for anonymous readers;
    the view passes the reader's XP per mode (``mode_xp``) and ``now`` in the context."""

    participants = serializers.IntegerField(source="participant_count")
    can_join = serializers.SerializerMethodField()
    missing_xp = serializers.SerializerMethodField()
    joined = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "name",
            "kind",
            "mode",
            "required_layer",
            "starts_at",
            "ends_at",
            "capacity",
            "participants",
            "description",
            "can_join",
            "missing_xp",
            "joined",
        ]

    def _gate(self, event: Event) -> layer_service.Gate | None:
        mode_xp = self.context.get("mode_xp")
        return None if mode_xp is None else layer_service.gate_for(event, mode_xp[event.mode])

    def get_can_join(self, event: Event) -> bool | None:
        gate = self._gate(event)
        if gate is None:
            return None
        return layer_service.can_join(
            event, gate, joined=bool(getattr(event, "joined", False)), now=self.context["now"]
        )

    def get_missing_xp(self, event: Event) -> int | None:
        gate = self._gate(event)
        return None if gate is None else gate.missing_xp

    def get_joined(self, event: Event) -> bool | None:
        return None if self.context.get("mode_xp") is None else bool(getattr(event, "joined", False))


class ParticipationSerializer(serializers.ModelSerializer[EventParticipation]):
    """The answer to a join: the participation and the event card as it is now."""

    event = serializers.SerializerMethodField()

    class Meta:
        model = EventParticipation
        fields = ["id", "joined_at", "event"]

    @extend_schema_field(EventSerializer)
    def get_event(self, participation: EventParticipation) -> dict[str, Any]:
        return dict(EventSerializer(participation.event, context=self.context).data)


class ParticipantSerializer(serializers.ModelSerializer[EventParticipation]):
    user_id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.public_name")
    discord_id = serializers.CharField(source="user.discord_id", allow_null=True)

    class Meta:
        model = EventParticipation
        fields = ["user_id", "username", "display_name", "discord_id", "joined_at"]
