"""Quest endpoints: the list, goals and challenges, joining, leaving, abandoning, a challenge's
board, and the review of a proof-required completion (docs/domain.md "Quests")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import is_service_key
from api.pagination import StandardPagePagination
from api.permissions import IsPlayerOrScopedKey, key_allowed, staff_or_refuse
from api.schema import error_responses
from api.throttling import PlayerWriteThrottle, ServiceKeyWriteThrottle
from api.v1.quests.serializers import (
    DecisionSerializer,
    QuestBoardRowSerializer,
    QuestCreateSerializer,
    QuestDecisionSerializer,
    QuestSerializer,
)
from core.exceptions import (
    ActivityNotReportable,
    AlreadyJoined,
    ChallengeManagerRequired,
    ClaimAlreadyDecided,
    EventFull,
    EventNotOpen,
    GoalDeadlineOutOfRange,
    InactiveActivity,
    InvalidFilter,
    LayerTooLow,
    MissingScope,
    ModeMismatch,
    NotAuthenticated,
    NotJoined,
    OwnClaim,
    QuestActivityRequired,
    QuestAlreadyJoined,
    QuestNotAChallenge,
    QuestNotActive,
    QuestNotAGoal,
    QuestNotJoined,
    QuestNotOpen,
    QuestNotPendingReview,
    QuestReviewerRequired,
    TooManyGoals,
    UnknownActivity,
    UnknownEvent,
    UnknownQuest,
)
from core.selectors.quests import quests as quest_selectors
from core.services.quests import participation as quest_service
from quests.models import Quest

QUEST_ID = OpenApiParameter("quest_id", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH)
MANAGE_SCOPE = "quests:manage"
MODERATE_SCOPE = "claims:moderate"


def _card(quest: Quest, request: Request) -> dict[str, Any]:
    reader = request.user if request.user.is_authenticated else None
    return dict(QuestSerializer(quest_selectors.cards([quest], reader)[0]).data)


def _quest(raw: str, request: Request) -> Quest:
    reader = request.user if request.user.is_authenticated else None
    quest = quest_selectors.visible_quest(quest_service.parse_quest_id(raw), reader)
    if quest is None:
        raise UnknownQuest()
    return quest


class QuestListView(APIView):
    """GET: the reader's goals, open challenges and challenges they took part in (anyone may
    read; progress only for a signed-in player). POST: a player sets a goal; staff or a key with
    quests:manage set up a challenge."""

    permission_classes = [IsPlayerOrScopedKey]
    required_scope = MANAGE_SCOPE
    pagination_class = StandardPagePagination  # the schema describes GET's page (Paginated...List)
    throttle_classes = [PlayerWriteThrottle, ServiceKeyWriteThrottle]

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return list(super().get_permissions())  # type: ignore[arg-type]

    def get_throttles(self) -> list[Any]:
        return [] if self.request.method == "GET" else super().get_throttles()

    @extend_schema(
        parameters=[OpenApiParameter("kind", str, enum=[Quest.GOAL, Quest.CHALLENGE])],
        responses={200: QuestSerializer(many=True), **error_responses(InvalidFilter)},
    )
    def get(self, request: Request) -> Response:
        kind = request.query_params.get("kind")
        if kind is not None and kind not in (Quest.GOAL, Quest.CHALLENGE):
            raise InvalidFilter(field="kind")
        reader = request.user if request.user.is_authenticated else None
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(quest_selectors.visible_quests(reader, kind=kind), request, view=self)
        data = QuestSerializer(quest_selectors.cards(page or [], reader), many=True).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        request=QuestCreateSerializer,
        responses={
            201: QuestSerializer,
            **error_responses(
                UnknownActivity,
                ActivityNotReportable,
                InactiveActivity,
                ModeMismatch,
                QuestActivityRequired,
                GoalDeadlineOutOfRange,
                TooManyGoals,
                ChallengeManagerRequired,
                QuestNotOpen,
                UnknownEvent,
                QuestAlreadyJoined,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        key = is_service_key(request)
        default_kind = Quest.CHALLENGE if key else Quest.GOAL  # a key sets up challenges, a player goals
        data = QuestCreateSerializer(data=request.data, context={"default_kind": default_kind})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        kind = values.get("kind", default_kind)
        if kind == Quest.GOAL:
            if key:  # a goal is a player's own
                raise ChallengeManagerRequired("A service key sets up challenges, not goals.")
            participation = quest_service.create_goal(
                user=request.user,  # type: ignore[arg-type]
                title=values["title"],
                activity=values["activity"],
                mode=values.get("mode"),
                target=values["target"],
                ends_at=values["ends_at"],
                proof_required=values["proof_required"],
            )
            quest = participation.quest
        else:
            if not key and not request.user.is_staff:
                raise ChallengeManagerRequired()
            quest = quest_service.create_challenge(
                quest_service.ChallengeSpec(
                    title=values["title"],
                    description=values["description"],
                    activity=values["activity"],
                    mode=values.get("mode"),
                    target=values["target"],
                    starts_at=values.get("starts_at"),
                    ends_at=values["ends_at"],
                    reward_xp=values.get("reward_xp", 0),
                    proof_required=values["proof_required"],
                    required_layer=values.get("required_layer", ""),
                    event_id=values.get("event"),
                )
            )
        return Response(_card(quest, request), status=status.HTTP_201_CREATED)


class QuestDetailView(APIView):
    """GET: one quest as the reader sees it. DELETE: abandon one's own active goal (no reward)."""

    throttle_classes = [PlayerWriteThrottle]

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "GET":
            return [AllowAny()]
        return list(super().get_permissions())  # type: ignore[arg-type]

    @extend_schema(parameters=[QUEST_ID], responses={200: QuestSerializer, **error_responses(UnknownQuest)})
    def get(self, request: Request, quest_id: str) -> Response:
        return Response(_card(_quest(quest_id, request), request))

    @extend_schema(
        parameters=[QUEST_ID],
        responses={204: None, **error_responses(UnknownQuest, QuestNotAGoal, QuestNotActive)},
    )
    def delete(self, request: Request, quest_id: str) -> Response:
        quest_service.abandon_goal(user=request.user, quest_id=quest_service.parse_quest_id(quest_id))  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class JoinQuestView(APIView):
    """A signed-in player joins a challenge (201 with the card); an event's challenge is joined
    by joining the event, with its gate and capacity."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=None,
        parameters=[QUEST_ID],
        responses={
            201: QuestSerializer,
            **error_responses(
                UnknownQuest,
                QuestNotAChallenge,
                QuestNotOpen,
                LayerTooLow,
                QuestAlreadyJoined,
                EventFull,
                EventNotOpen,
                AlreadyJoined,
            ),
        },
    )
    def post(self, request: Request, quest_id: str) -> Response:
        participation = quest_service.join_challenge(
            user=request.user,  # type: ignore[arg-type]
            quest_id=quest_service.parse_quest_id(quest_id),
        )
        return Response(_card(participation.quest, request), status=status.HTTP_201_CREATED)


class LeaveQuestView(APIView):
    """A signed-in player leaves a challenge (200 with the card)."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=None,
        parameters=[QUEST_ID],
        responses={
            200: QuestSerializer,
            **error_responses(
                UnknownQuest, QuestNotAChallenge, QuestNotOpen, QuestNotJoined, QuestNotActive, NotJoined, EventNotOpen
            ),
        },
    )
    def post(self, request: Request, quest_id: str) -> Response:
        quest = quest_service.leave_challenge(
            user=request.user,  # type: ignore[arg-type]
            quest_id=quest_service.parse_quest_id(quest_id),
        )
        return Response(_card(quest, request))


class QuestLeaderboardView(APIView):
    """A challenge's board: everyone taking part, by progress, then who reached it first."""

    permission_classes = [AllowAny]
    pagination_class = StandardPagePagination  # the schema describes the page (Paginated...List)

    @extend_schema(
        parameters=[QUEST_ID],
        responses={200: QuestBoardRowSerializer(many=True), **error_responses(UnknownQuest, QuestNotAChallenge)},
    )
    def get(self, request: Request, quest_id: str) -> Response:
        quest = _quest(quest_id, request)
        if quest.kind != Quest.CHALLENGE:
            raise QuestNotAChallenge()
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(quest_selectors.leaderboard(quest), request, view=self)  # type: ignore[arg-type]
        return paginator.get_paginated_response(QuestBoardRowSerializer(page, many=True, context={"quest": quest}).data)


class IsStaffOrModeratorKey(BasePermission):
    """Staff, or a service key with claims:moderate."""

    error_codes = {401: [NotAuthenticated.code], 403: [QuestReviewerRequired.code, MissingScope.code]}

    def has_permission(self, request: Request, view: Any) -> bool:
        if is_service_key(request):
            return key_allowed(request, view)
        return staff_or_refuse(request, QuestReviewerRequired)


class QuestDecisionView(APIView):
    """Staff or a key with claims:moderate approve (pays once) or reject a completion awaiting
    review (a quest with proof_required)."""

    permission_classes = [IsStaffOrModeratorKey]
    required_scope = MODERATE_SCOPE

    @extend_schema(
        request=QuestDecisionSerializer,
        parameters=[QUEST_ID],
        responses={
            200: DecisionSerializer,
            **error_responses(UnknownQuest, QuestNotPendingReview, OwnClaim, ClaimAlreadyDecided),
        },
    )
    def post(self, request: Request, quest_id: str) -> Response:
        data = QuestDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        participation = quest_service.decide_completion(
            quest_id=quest_service.parse_quest_id(quest_id),
            user_id=values["user_id"],
            approve=values["verdict"] == "approve",
            reviewer=None if is_service_key(request) else request.user,  # type: ignore[arg-type]
            api_key=request.auth if is_service_key(request) else None,
            reason=values["reason"],
        )
        return Response(DecisionSerializer(participation).data)
