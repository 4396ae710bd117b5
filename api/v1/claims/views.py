"""Claims and peer review: the player's own claims, the claims they may judge, votes, proof and
the moderators' decisions (docs/domain.md "Claims")."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.authentication import is_service_key
from api.pagination import StandardPagePagination
from api.permissions import IsStaffOrScopedKey
from api.schema import error_responses
from api.throttling import PlayerWriteThrottle, ServiceKeyWriteThrottle
from api.v1.claims.serializers import (
    DecisionInputSerializer,
    ProofInputSerializer,
    ReviewSerializer,
    VoteInputSerializer,
    VoteResultSerializer,
)
from api.v1.serializers import ClaimSerializer
from claims.models import STATES, Claim
from core.exceptions import (
    AlreadyVoted,
    ClaimAlreadyDecided,
    ClaimWithModerators,
    InvalidFilter,
    InvalidProofUrl,
    NotClaimOwner,
    OwnClaim,
    ReviewerLayerTooLow,
    ReviewerSuspended,
    ReviewerTooNew,
    ReviewLimitReached,
    UnknownClaim,
)
from core.selectors.claims.claims import own_claims, reviewable_claims
from core.services import claims as claim_service
from core.services.claims.review import reviewer_refusal
from core.utils import dates


class ClaimListView(generics.ListAPIView[Claim]):
    """The signed-in player's own claims, newest first, with the votes counted."""

    serializer_class = ClaimSerializer
    pagination_class = StandardPagePagination

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=list(STATES))],
        responses={200: ClaimSerializer(many=True), **error_responses(InvalidFilter)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Claim]:
        state = self.request.query_params.get("state")
        if state is not None and state not in STATES:
            raise InvalidFilter(field="state")
        return own_claims(self.request.user.pk, state)  # type: ignore[arg-type]  # signed in


class ReviewListView(generics.ListAPIView[Claim]):
    """Open claims the signed-in player may judge, oldest first."""

    serializer_class = ReviewSerializer
    pagination_class = StandardPagePagination

    @extend_schema(responses={200: ReviewSerializer(many=True), **error_responses(ReviewerTooNew, ReviewerSuspended)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Claim]:
        now = dates.utc_now()
        refusal = reviewer_refusal(self.request.user, now)  # type: ignore[arg-type]
        if refusal is not None:
            raise refusal
        return reviewable_claims(self.request.user, now)  # type: ignore[arg-type]


class VoteView(APIView):
    """A signed-in player's final vote on another player's claim."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=VoteInputSerializer,
        responses={
            201: VoteResultSerializer,
            **error_responses(
                UnknownClaim,
                OwnClaim,
                ReviewerTooNew,
                ReviewerSuspended,
                ReviewerLayerTooLow,
                ReviewLimitReached,
                AlreadyVoted,
                ClaimAlreadyDecided,
                ClaimWithModerators,
            ),
        },
    )
    def post(self, request: Request, claim_id: int) -> Response:
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = claim_service.cast_vote(
            claim_id=claim_id,
            reviewer=request.user,  # type: ignore[arg-type]
            verdict=data.validated_data["verdict"],
            reason=data.validated_data["reason"],
        )
        body = {
            "vote": {
                "verdict": result.vote.verdict,
                "reason": result.vote.reason,
                "created_at": result.vote.created_at,
            },
            "claim": result.claim,
            "decided": result.decided,
        }
        return Response(VoteResultSerializer(body).data, status=status.HTTP_201_CREATED)


class ProofView(APIView):
    """The claimant adds (or replaces) the proof of their pending claim."""

    throttle_classes = [PlayerWriteThrottle]

    @extend_schema(
        request=ProofInputSerializer,
        responses={
            200: ClaimSerializer,
            **error_responses(UnknownClaim, NotClaimOwner, ClaimAlreadyDecided, InvalidProofUrl),
        },
    )
    def post(self, request: Request, claim_id: int) -> Response:
        data = ProofInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim = claim_service.add_proof(
            claim_id=claim_id,
            user=request.user,  # type: ignore[arg-type]
            proof_url=data.validated_data["proof_url"],
            note=data.validated_data.get("note"),
        )
        return Response(ClaimSerializer(claim).data)


class DecisionView(APIView):
    """A moderator (staff, or a service key with ``claims:moderate``) decides a pending claim."""

    permission_classes = [IsStaffOrScopedKey]
    required_scope = "claims:moderate"
    throttle_classes = [PlayerWriteThrottle, ServiceKeyWriteThrottle]

    @extend_schema(
        request=DecisionInputSerializer,
        responses={200: ClaimSerializer, **error_responses(UnknownClaim, OwnClaim, ClaimAlreadyDecided)},
    )
    def post(self, request: Request, claim_id: int) -> Response:
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = is_service_key(request)
        claim = claim_service.decide(
            claim_id=claim_id,
            verdict=data.validated_data["verdict"],
            reason=data.validated_data["reason"],
            moderator=None if key else request.user,  # type: ignore[arg-type]
            api_key=request.auth if key else None,  # type: ignore[arg-type]
        )
        return Response(ClaimSerializer(claim).data)
