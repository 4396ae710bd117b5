"""Layer and event endpoints: the ladders, the event list, joining, leaving, participants."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import StandardPagePagination
from api.schema import error_responses
from api.throttling import PlayerWriteThrottle
from api.v1.layers.serializers import EventSerializer, LayerSerializer, ParticipantSerializer, ParticipationSerializer
from core.constants.layers import LADDERS
from core.exceptions import AlreadyJoined, EventFull, EventNotOpen, LayerTooLow, NotJoined, UnknownEvent
from core.services.layers import layer_service
from core.utils.dates import utc_now
from layers.models import Event, EventParticipation

EVENT_ID = OpenApiParameter("event_id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)


def reader_context(request: Request) -> dict[str, Any]:
    """What the event cards need to know about the reader (one query for a signed-in player)."""
    user = request.user
    mode_xp = layer_service.mode_xp_of(user) if user.is_authenticated else None
    return {"request": request, "mode_xp": mode_xp, "now": utc_now()}


class LayerListView(generics.ListAPIView[Any]):
    """Both ladders, reality then cyber, in order."""

    permission_classes = [AllowAny]
    serializer_class = LayerSerializer
    pagination_class = StandardPagePagination

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        return [layer for ladder in LADDERS.values() for layer in ladder]


class EventListView(generics.ListAPIView[Event]):
    """Published events and dungeons that have not ended, soonest first."""

    permission_classes = [AllowAny]
    serializer_class = EventSerializer
    pagination_class = StandardPagePagination

    def get_queryset(self) -> QuerySet[Event]:
        user = self.request.user
        return layer_service.listed_events(user=user if user.is_authenticated else None)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), **reader_context(self.request)}


class EventDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[EVENT_ID], responses={200: EventSerializer, **error_responses(UnknownEvent)})
    def get(self, request: Request, event_id: str) -> Response:
        user = request.user if request.user.is_authenticated else None
        event = layer_service.get_event(event_id, user=user)
        return Response(EventSerializer(event, context=reader_context(request)).data)


class JoinEventView(APIView):
    """A signed-in player takes a seat (201); 403 layer_too_low, 409 full/joined/not open."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=None,
        parameters=[EVENT_ID],
        responses={
            201: ParticipationSerializer,
            **error_responses(UnknownEvent, LayerTooLow, EventFull, AlreadyJoined, EventNotOpen),
        },
    )
    def post(self, request: Request, event_id: str) -> Response:
        event = layer_service.get_event(event_id)
        participation = layer_service.join_event(user=request.user, event=event)  # type: ignore[arg-type]
        participation.event.joined = True  # type: ignore[attr-defined]
        body = ParticipationSerializer(participation, context=reader_context(request)).data
        return Response(body, status=status.HTTP_201_CREATED)


class LeaveEventView(APIView):
    """A signed-in player gives the seat back (200 with the event card); 409 not_joined."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=None,
        parameters=[EVENT_ID],
        responses={200: EventSerializer, **error_responses(UnknownEvent, NotJoined, EventNotOpen)},
    )
    def post(self, request: Request, event_id: str) -> Response:
        event = layer_service.get_event(event_id)
        layer_service.leave_event(user=request.user, event=event)  # type: ignore[arg-type]
        event.joined = False  # type: ignore[attr-defined]
        return Response(EventSerializer(event, context=reader_context(request)).data)


@extend_schema_view(
    get=extend_schema(
        parameters=[EVENT_ID], responses={200: ParticipantSerializer(many=True), **error_responses(UnknownEvent)}
    )
)
class EventParticipantsView(generics.ListAPIView[EventParticipation]):
    """Who joined an event, first come first listed (staff only; unpublished events too)."""

    permission_classes = [IsAdminUser]
    serializer_class = ParticipantSerializer
    pagination_class = StandardPagePagination

    def get_queryset(self) -> QuerySet[EventParticipation]:
        pk = layer_service.parse_event_id(self.kwargs["event_id"])
        event = Event.objects.filter(pk=pk).first()
        if event is None:
            raise UnknownEvent()
        return layer_service.participants(event)
