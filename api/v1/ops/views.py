"""Operational endpoints."""

from django.db import connection
from django.db.utils import Error as DatabaseError
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.outage import retry_after
from api.v1.ops.serializers import HEALTH, READY, ApiIndexSerializer, HealthSerializer, ReadySerializer
from core.selectors.operations.operations import readiness
from ultrabackend.redis import redis_status


class HealthView(APIView):
    """200 while the database answers (Redis being down only degrades); 503 otherwise."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            database = "ok"
        except DatabaseError:
            database = "error"
        redis = redis_status()
        overall = "ok" if database == "ok" and redis != "degraded" else ("degraded" if database == "ok" else "error")
        return Response(
            # Nothing about the software behind it (vendor, versions): anyone may ask.
            HEALTH.to_representation({"status": overall, "database": database, "redis": redis}),
            status=200 if database == "ok" else 503,
            headers=None if database == "ok" else {"Retry-After": str(retry_after())},
        )


class ReadyView(APIView):
    """Readiness (for a load balancer or an orchestrator): 200 while PostgreSQL answers and the
    task queue moves; 503 otherwise. ``/health/`` stays the cheap liveness check."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: ReadySerializer, 503: ReadySerializer})
    def get(self, request: Request) -> Response:
        state = readiness()
        body = READY.to_representation(
            {
                "status": "ready" if state.ready else "not_ready",
                "database": state.database,
                "redis": state.redis,
                "queue": state.queue.__dict__,
            }
        )
        if state.ready:
            return Response(body)
        return Response(body, status=503, headers={"Retry-After": str(retry_after())})


class ApiRootView(APIView):
    """Where to go from here: the docs, the schema, health and sign-in."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(responses={200: ApiIndexSerializer})
    def get(self, request: Request) -> Response:
        def url(name: str) -> str:
            return request.build_absolute_uri(reverse(name))

        return Response(
            {
                "name": "iGoUltra API",
                "version": "v1",
                "docs": url("docs"),
                "schema": url("schema"),
                "health": url("health"),
                "sign_in": url("auth-discord"),
            }
        )
