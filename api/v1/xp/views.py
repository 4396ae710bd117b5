"""XP endpoints: the activity catalogue, adding XP, and a player's ledger."""

import re
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import is_app_token, is_service_key
from api.idempotency import idempotency_key_from
from api.pagination import HistoryCursorPagination, StandardPagePagination
from api.permissions import IsPlayerOrScopedKey
from api.schema import error_responses
from api.throttling import PlayerWriteThrottle, ServiceKeyWriteThrottle
from api.v1.serializers import PendingReviewSerializer
from api.v1.xp.hot_path import lean_answer
from api.v1.xp.serializers import (
    ActivitySerializer,
    AddXPInputSerializer,
    AddXPResponseSerializer,
    HistoryEntrySerializer,
    add_xp_document,
    entry_data,
)
from core.constants.modes import MODES
from core.exceptions import (
    AccountDisabled,
    ActivityNotReportable,
    DailyCapExceeded,
    DiscordIdNotAllowed,
    DiscordIdRequired,
    DisplayNameNotAllowed,
    IdempotencyKeyReused,
    InactiveActivity,
    InvalidDiscordId,
    InvalidFilter,
    InvalidIdempotencyKey,
    InvalidProofUrl,
    ModeMismatch,
    UnitsNotPositive,
    UnitsOverEntryMaximum,
    UnknownActivity,
)
from core.selectors.accounts.profile import profile_summary
from core.services.accounts import user_service
from core.services.claims import Held, report_activity
from core.services.xp import Award
from core.services.xp.for_discord_user import award_xp_to_discord_user
from xp.models import ActivityType, XPEntry

SLUG_RE = re.compile(r"[-a-zA-Z0-9_]{1,50}")  # with fullmatch: no trailing newline


def award_response(award: Award, user: Any) -> dict[str, Any]:
    """The xp/add answer for an award (AddXPResponseSerializer's document)."""
    entry = award.entry
    return add_xp_document(
        entry_data(entry),
        profile_summary(user, totals=award.profile, season_id=entry.season_id, season_xp=award.season_xp),
        award.level_up,
        award.layer_up,
        award.duplicate,
        unlocked=award.unlocked,
        boost=award.boost,
        quests=award.quests,
    )


def pending_review_document(held: Held) -> dict[str, Any]:
    """The 202 answer of a report held for review (PendingReviewSerializer's document)."""
    return PendingReviewSerializer({"status": "pending_review", "claim": held.claim, "duplicate": held.duplicate}).data  # type: ignore[return-value]


class ActivityListView(generics.ListAPIView[ActivityType]):
    permission_classes = [AllowAny]
    serializer_class = ActivitySerializer
    pagination_class = StandardPagePagination
    queryset = ActivityType.objects.filter(is_active=True, system=False).order_by("mode", "key")


class AddXPView(APIView):
    """A signed-in player adds XP for themself (an API key adds it for a Discord user)."""

    # One DRF view for every request (docs/benchmarks.md: DRF's dispatch measured within the noise
    # of the plain view it replaced). The common request, a signed-in player's valid report, is
    # awarded in ``initial`` by the lean path (api/v1/xp/hot_path.py) before DRF authenticates,
    # checks permissions and throttles: the award's own statement proves the credential and the
    # write quota. Everything else, every error included, takes DRF's full way through ``post``.

    permission_classes = [IsPlayerOrScopedKey]
    required_scope = "xp:write"
    throttle_classes = [PlayerWriteThrottle, ServiceKeyWriteThrottle]
    lean: HttpResponse | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.lean = lean_answer(request._request) if request.method == "POST" else None
        if self.lean is None:  # the lean answer needs none of DRF's steps (not even negotiation:
            super().initial(request, *args, **kwargs)  # it answered a JSON Accept with JSON)

    @extend_schema(
        request=AddXPInputSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=False,
                pattern=r"^[!-~]{1,255}$",
                description="Makes a retry safe: the same key again answers the first entry with "
                "duplicate=true and adds nothing (1-255 printable ASCII characters, no spaces).",
            )
        ],
        responses={
            201: AddXPResponseSerializer,
            202: OpenApiResponse(
                PendingReviewSerializer,
                description='Held for review (docs/domain.md "Claims"): the report became a pending claim '
                "and nothing entered the ledger yet.",
            ),
            **error_responses(
                UnknownActivity,
                ActivityNotReportable,
                InactiveActivity,
                ModeMismatch,
                UnitsNotPositive,
                UnitsOverEntryMaximum,
                DailyCapExceeded,
                IdempotencyKeyReused,
                InvalidIdempotencyKey,
                InvalidDiscordId,
                DiscordIdRequired,
                DiscordIdNotAllowed,
                DisplayNameNotAllowed,
                AccountDisabled,
                InvalidProofUrl,
            ),
        },
    )
    def post(self, request: Request) -> HttpResponseBase:
        if self.lean is not None:
            return self.lean
        key = idempotency_key_from(request)
        data = AddXPInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        common = {
            "activity": values["activity"],
            "units": values["units"],
            "note": values["note"],
            "mode": values.get("mode"),
            "idempotency_key": key,
            "proof_url": values["proof_url"],
        }
        if is_service_key(request):
            if "discord_id" not in values:
                raise DiscordIdRequired()
            target, result = award_xp_to_discord_user(
                discord_id=values["discord_id"],
                source="bot",
                api_key=request.auth,  # type: ignore[arg-type]
                **common,
            )
            if values.get("display_name"):
                user_service.name_unnamed_account(target, values["display_name"])
        else:
            if "discord_id" in values:
                raise DiscordIdNotAllowed()  # a player only ever adds XP for themself
            if "display_name" in values:
                raise DisplayNameNotAllowed()
            target = request.user  # type: ignore[assignment]  # IsPlayerOrScopedKey: signed in
            source = "mobile" if is_app_token(request) else "web"
            result = report_activity(user=target, source=source, submitted_by=target, **common)
        if isinstance(result, Held):
            return Response(pending_review_document(result), status=status.HTTP_202_ACCEPTED)
        return Response(award_response(result, target), status=status.HTTP_201_CREATED)


class HistoryView(generics.ListAPIView[XPEntry]):
    serializer_class = HistoryEntrySerializer
    pagination_class = HistoryCursorPagination

    @extend_schema(
        parameters=[
            OpenApiParameter("mode", str, enum=list(MODES)),
            OpenApiParameter("activity", str, pattern=SLUG_RE.pattern),
        ],
        responses={200: HistoryEntrySerializer(many=True), **error_responses(InvalidFilter)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[XPEntry]:
        qs = XPEntry.objects.filter(user_id=self.request.user.pk).select_related("activity")
        mode = self.request.query_params.get("mode")
        if mode is not None:
            if mode not in MODES:
                raise InvalidFilter(field="mode")
            qs = qs.filter(mode=mode)
        activity = self.request.query_params.get("activity")
        if activity is not None:
            if not SLUG_RE.fullmatch(activity) or not ActivityType.objects.filter(key=activity).exists():
                raise InvalidFilter(field="activity")
            qs = qs.filter(activity__key=activity)
        return qs
