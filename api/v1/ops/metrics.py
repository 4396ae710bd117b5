"""GET /metrics: the Prometheus exposition, for a scraper holding ``METRICS_TOKEN``."""

from __future__ import annotations

import hmac
from typing import Any

from django.conf import settings
from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from api.schema import error_responses
from core.exceptions import MetricsTokenInvalid
from ultrabackend.observability import metrics


class PrometheusTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "prometheus"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return data if isinstance(data, bytes) else str(data).encode()


class MetricsView(APIView):
    """Counters, histograms and gauges for Prometheus (names: docs/operations.md). Absent (404)
    unless METRICS_TOKEN is set; then only ``Authorization: Bearer <METRICS_TOKEN>`` is answered."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes: list[type] = []
    # JSON first: an error (401, 404) is rendered as the API's JSON error shape.
    renderer_classes = [*APIView.renderer_classes, PrometheusTextRenderer]

    @extend_schema(
        operation_id="metrics",
        responses={
            (200, "text/plain"): OpenApiResponse(
                response={"type": "string"}, description="Prometheus text exposition format 0.0.4."
            ),
            **error_responses(MetricsTokenInvalid, codes={404: ["not_found"]}),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        token = str(getattr(settings, "METRICS_TOKEN", "") or "")
        if not token:
            raise Http404
        sent = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise MetricsTokenInvalid()
        body, content_type = metrics.render()
        return HttpResponse(body, content_type=content_type)
