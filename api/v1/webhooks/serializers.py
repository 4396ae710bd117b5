"""Shapes of /api/v1/webhooks/: input is checked for shape here, the rules live in the service."""

from typing import Any

from rest_framework import serializers

from api.fields import NoUnknownFieldsMixin
from core.utils.dates import iso_utc
from events.models import WebhookEndpoint


class WebhookInputSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    url = serializers.CharField(max_length=2000, trim_whitespace=False)
    event_types = serializers.ListField(child=serializers.CharField(max_length=32), allow_empty=False, max_length=20)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookSerializer(serializers.Serializer[Any]):
    """A webhook subscription (the secret only in the answer that created it)."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    event_types = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField(allow_blank=True)
    is_active = serializers.BooleanField()
    disabled = serializers.BooleanField(help_text="Disabled after 5 days of failing deliveries.")
    disabled_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class CreatedWebhookSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="whsec_...: verifies the webhook-signature header (Standard Webhooks).")


class WebhookListSerializer(serializers.Serializer[Any]):
    results = WebhookSerializer(many=True)


def endpoint_json(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": endpoint.pk,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types or []),
        "description": endpoint.description,
        "is_active": endpoint.is_active,
        "disabled": endpoint.disabled_at is not None,
        "disabled_at": iso_utc(endpoint.disabled_at) if endpoint.disabled_at else None,
        "failing_since": iso_utc(endpoint.failing_since) if endpoint.failing_since else None,
        "created_at": iso_utc(endpoint.created_at),
    }
    if with_secret:
        body["secret"] = endpoint.secret
    return body
