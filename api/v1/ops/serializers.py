"""The health document."""

from typing import Any

from rest_framework import serializers

HEALTH_STATUSES = ["ok", "degraded", "error"]


class HealthSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=HEALTH_STATUSES,
        help_text="ok; degraded (the database answers, Redis does not); error (the database does not).",
    )
    database = serializers.ChoiceField(choices=["ok", "error"])
    redis = serializers.ChoiceField(
        choices=["ok", "not_configured", "degraded"], help_text="degraded: configured but unreachable."
    )


HEALTH = HealthSerializer()


class ApiIndexSerializer(serializers.Serializer[Any]):
    """Where to go from the API's root."""

    name = serializers.CharField()
    version = serializers.CharField()
    docs = serializers.URLField(help_text="Swagger UI.")
    schema = serializers.URLField(help_text="This OpenAPI document.")
    health = serializers.URLField()
    sign_in = serializers.URLField(help_text="Discord sign-in (docs/auth.md).")
