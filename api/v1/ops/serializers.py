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


READY_STATUSES = ["ready", "not_ready"]


class QueueStateSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=["ok", "stalled", "unknown"],
        help_text="stalled: a job ready to run waited longer than READY_MAX_QUEUE_AGE_SECONDS, or jobs wait "
        "and no worker sent a heartbeat within JOBS_STALLED_AFTER_SECONDS; unknown: the database did not answer.",
    )
    ready_jobs = serializers.IntegerField(help_text="Jobs ready to run now, every queue.")
    oldest_ready_age_seconds = serializers.FloatField(help_text="How long the oldest of them waited (0: none).")
    workers = serializers.IntegerField(help_text="Worker processes with a recent heartbeat.")


class ReadySerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=READY_STATUSES,
        help_text="ready: PostgreSQL answers and the queue moves (Redis being down only degrades).",
    )
    database = serializers.ChoiceField(choices=["ok", "error"])
    redis = serializers.ChoiceField(
        choices=["ok", "not_configured", "degraded"], help_text="degraded: configured but unreachable."
    )
    queue = QueueStateSerializer()


READY = ReadySerializer()
