"""Strava: connect / disconnect, the one-time backfill, the player's imports, and the webhook.

Set-up and flows: docs/strava.md.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import oauth_state
from api.authentication import BearerTokenAuthentication, SessionAuthentication
from api.pagination import HistoryCursorPagination
from api.redirects import safe_next
from api.schema import error_responses
from api.v1.integrations.serializers import StravaActivitySerializer, StravaEventSerializer, StravaStatusSerializer
from core.exceptions import (
    DomainError,
    InvalidNext,
    StravaAccessDenied,
    StravaAthleteTaken,
    StravaAuthorizationRevoked,
    StravaBackfillUsed,
    StravaBadGateway,
    StravaChallengeMissing,
    StravaCodeInvalid,
    StravaInvalidState,
    StravaNotConfigured,
    StravaNotConnected,
    StravaObjectNotFound,
    StravaRateLimited,
    StravaScopeMissing,
    StravaUnavailable,
    StravaUnknownSubscription,
    StravaVerifyTokenInvalid,
)
from core.selectors.strava.strava import player_strava_activities, strava_connection_detail
from core.services.strava import strava_service
from integrations import client as strava
from integrations.models import StravaActivity
from integrations.tasks import defer_event
from users.models import CustomUser

# What the callback may answer with: the state and consent checks, and whatever Strava's token
# exchange raises (integrations/client.py).
CALLBACK_ERRORS = (
    StravaInvalidState,
    StravaAccessDenied,
    StravaScopeMissing,
    StravaCodeInvalid,
    StravaAthleteTaken,
    StravaNotConfigured,
    StravaUnavailable,
    StravaBadGateway,
    StravaRateLimited,
    StravaAuthorizationRevoked,
    StravaObjectNotFound,
)


# The session key of a connection in progress (api/oauth_state.py): the browser (or app) that
# started it carries its session back to the callback; a consent URL forwarded to someone else
# arrives without it and links nothing.
PENDING_KEY = "strava_connect"


def callback_uri(request: HttpRequest) -> str:
    return settings.STRAVA_REDIRECT_URI or request.build_absolute_uri(reverse("strava-callback"))


class StravaConnectView(APIView):
    """Start linking the signed-in player's Strava athlete: 302 to Strava's consent page."""

    @extend_schema(
        parameters=[OpenApiParameter("next", str, description="Where the browser lands afterwards (allowed origins)")],
        responses={
            302: OpenApiResponse(description="To Strava's consent page."),
            **error_responses(StravaNotConfigured, InvalidNext),
        },
    )
    def get(self, request: Request) -> HttpResponseRedirect:
        next_param = request.query_params.get("next")
        target = safe_next(next_param) if next_param else None
        strava.ensure_configured()
        state = oauth_state.begin(request._request, PENDING_KEY, player=request.user, next=target)
        return HttpResponseRedirect(strava.authorize_url(redirect_uri=callback_uri(request._request), state=state))


class StravaCallbackView(APIView):
    """Strava sends the browser back here. Answers the connection as JSON (200, or the error's
    status and code: 409 strava_athlete_taken, 400 strava_invalid_state, ...), or, when the
    connection was started with ``next``, redirects there with ``?strava=connected`` or
    ``?strava_error=<code>``."""

    # The player who started must be the one signed in when it returns: the browser's session,
    # or the app's Bearer token (an app that caught the redirect calls the callback itself).
    authentication_classes = [SessionAuthentication, BearerTokenAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        responses={
            200: StravaStatusSerializer,
            302: OpenApiResponse(description="To ``next`` with ?strava=connected or ?strava_error=<code>."),
            **error_responses(*CALLBACK_ERRORS),
        }
    )
    def get(self, request: Request) -> Any:
        pending = oauth_state.finish(
            request._request,
            PENDING_KEY,
            request.query_params.get("state", ""),
            player=request.user,
            refused=StravaInvalidState,
        )
        next_url = pending.get("next")
        try:
            connection = self._connect(request, pending["user"])
        except DomainError as exc:
            if next_url:
                return HttpResponseRedirect(_with_query(next_url, strava_error=exc.code))
            raise
        if next_url:
            return HttpResponseRedirect(_with_query(next_url, strava="connected"))
        return Response(
            StravaStatusSerializer(strava_connection_detail(connection.user)).data, status=status.HTTP_200_OK
        )

    def _connect(self, request: Request, user_id: int) -> Any:
        # The state was bound to this browser and to the player who started (api/oauth_state.py).
        user = CustomUser.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise StravaInvalidState()
        if request.query_params.get("error"):
            raise StravaAccessDenied()
        granted = {s.strip() for s in request.query_params.get("scope", "").split(",")}
        if strava.SCOPE not in granted:
            raise StravaScopeMissing()
        code = request.query_params.get("code", "")
        if not code or len(code) > 512:
            raise StravaCodeInvalid()
        grant = strava.exchange_code(code)
        return strava_service.link_athlete(user=user, grant=grant, scope=",".join(sorted(granted - {""})))


def _with_query(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class StravaConnectionView(APIView):
    """GET: the player's Strava link. DELETE: disconnect (Strava told best effort, tokens forgotten)."""

    @extend_schema(responses={200: StravaStatusSerializer})
    def get(self, request: Request) -> Response:
        return Response(StravaStatusSerializer(strava_connection_detail(request.user)).data)  # type: ignore[arg-type]

    @extend_schema(responses={204: None, **error_responses(StravaNotConnected)})
    def delete(self, request: Request) -> Response:
        strava_service.disconnect(user=request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class StravaBackfillView(APIView):
    """Import the last 7 days once per connection (202; a second time: 409 strava_backfill_used)."""

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "StravaBackfill", {"status": serializers.CharField(), "since": serializers.DateTimeField()}
            ),
            **error_responses(StravaNotConnected, StravaBackfillUsed),
        },
    )
    def post(self, request: Request) -> Response:
        connection = strava_service.request_backfill(user=request.user)  # type: ignore[arg-type]
        since = serializers.DateTimeField().to_representation(strava_service.import_from(connection))
        return Response({"status": "queued", "since": since}, status=status.HTTP_202_ACCEPTED)


class StravaActivitiesView(generics.ListAPIView[StravaActivity]):
    """The player's imported Strava activities and what became of each, newest first."""

    serializer_class = StravaActivitySerializer
    pagination_class = HistoryCursorPagination

    def get_queryset(self) -> QuerySet[StravaActivity]:
        return player_strava_activities(self.request.user)  # type: ignore[arg-type]


class StravaWebhookView(APIView):
    """Strava's push subscription: GET is its subscription check, POST one event. A POST only
    queues the work (no call to Strava), so it answers well within Strava's 2 seconds."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("hub.mode", str),
            OpenApiParameter("hub.verify_token", str),
            OpenApiParameter("hub.challenge", str),
        ],
        responses={
            200: inline_serializer("StravaChallenge", {"hub.challenge": serializers.CharField()}),
            **error_responses(StravaVerifyTokenInvalid, StravaChallengeMissing),
        },
    )
    def get(self, request: Request) -> Response:
        expected = settings.STRAVA_VERIFY_TOKEN
        given = request.query_params.get("hub.verify_token", "")
        if (
            not expected
            or request.query_params.get("hub.mode") != "subscribe"
            or not constant_time_compare(given, expected)
        ):
            raise StravaVerifyTokenInvalid()
        challenge = request.query_params.get("hub.challenge", "")
        if not challenge:
            raise StravaChallengeMissing()
        return Response({"hub.challenge": challenge})

    @extend_schema(
        request=StravaEventSerializer,
        responses={
            200: inline_serializer(
                "StravaEventQueued", {"status": serializers.CharField(), "queued": serializers.CharField()}
            ),
            **error_responses(StravaUnknownSubscription),
        },
    )
    def post(self, request: Request) -> Response:
        event = StravaEventSerializer(data=request.data)
        event.is_valid(raise_exception=True)
        values = event.validated_data
        expected = settings.STRAVA_SUBSCRIPTION_ID
        if expected and str(values.get("subscription_id", "")) != str(expected):
            raise StravaUnknownSubscription()
        updates = values.get("updates") or {}
        queued = defer_event(
            object_type=values["object_type"],
            aspect_type=values["aspect_type"],
            object_id=values["object_id"],
            owner_id=values["owner_id"],
            deauthorized=str(updates.get("authorized", "")).lower() == "false",
        )
        return Response({"status": "accepted", "queued": queued})
