"""Webhook subscriptions for service keys with the ``webhooks:manage`` scope.

A key sees and changes only the endpoints it created; the secret is in the answer to the POST
that created the endpoint (and in the admin), never in lists."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsScopedKey
from api.schema import error_responses
from api.throttling import ServiceKeyWriteThrottle
from api.v1.webhooks.serializers import (
    CreatedWebhookSerializer,
    WebhookInputSerializer,
    WebhookListSerializer,
    WebhookSerializer,
    endpoint_json,
)
from core.exceptions import InvalidWebhookUrl, UnknownEventType, UnknownWebhook, WebhookTargetRefused
from core.services.events import webhooks
from events.models import WebhookEndpoint

_MAX_ID = 2**63 - 1
WEBHOOK_INPUT_ERRORS = (InvalidWebhookUrl, WebhookTargetRefused, UnknownEventType)


class _WebhookView(APIView):
    permission_classes = [IsScopedKey]
    required_scope = "webhooks:manage"
    throttle_classes = [ServiceKeyWriteThrottle]

    def owned(self, request: Request, raw_id: str | None = None) -> Any:
        qs = WebhookEndpoint.objects.filter(owner_key_id=request.auth.pk)  # type: ignore[union-attr]
        if raw_id is None:
            return qs
        if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 19 or not 0 < int(raw_id) <= _MAX_ID:
            raise UnknownWebhook()
        endpoint = qs.filter(pk=int(raw_id)).first()
        if endpoint is None:
            raise UnknownWebhook()
        return endpoint


class WebhookListView(_WebhookView):
    @extend_schema(operation_id="webhooks_list", responses={200: WebhookListSerializer})
    def get(self, request: Request) -> Response:
        return Response({"results": [endpoint_json(e) for e in self.owned(request).order_by("id")]})

    @extend_schema(
        request=WebhookInputSerializer,
        responses={201: CreatedWebhookSerializer, **error_responses(*WEBHOOK_INPUT_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = WebhookInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.create_endpoint(**data.validated_data, owner_key=request.auth)
        return Response(endpoint_json(endpoint, with_secret=True), status=status.HTTP_201_CREATED)


class WebhookDetailView(_WebhookView):
    @extend_schema(responses={200: WebhookSerializer, **error_responses(UnknownWebhook)})
    def get(self, request: Request, webhook_id: str) -> Response:
        return Response(endpoint_json(self.owned(request, webhook_id)))

    @extend_schema(
        request=WebhookInputSerializer(partial=True),
        responses={200: WebhookSerializer, **error_responses(UnknownWebhook, *WEBHOOK_INPUT_ERRORS)},
    )
    def patch(self, request: Request, webhook_id: str) -> Response:
        endpoint = self.owned(request, webhook_id)
        data = WebhookInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {k: v for k, v in data.validated_data.items() if k in request.data}
        return Response(endpoint_json(webhooks.update_endpoint(endpoint, **changes)))

    @extend_schema(responses={204: None, **error_responses(UnknownWebhook)})
    def delete(self, request: Request, webhook_id: str) -> Response:
        self.owned(request, webhook_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
