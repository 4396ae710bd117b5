from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from ultrabackend import checks  # noqa: F401  (registers the system checks)
        from ultrabackend.db_driver import cache_long_query_conversions
        from ultrabackend.postgresql.bounded_wait import lift_request_wait_limit, limit_request_waits

        cache_long_query_conversions()
        request_started.connect(limit_request_waits, dispatch_uid="limit_request_waits")
        request_finished.connect(lift_request_wait_limit, dispatch_uid="lift_request_wait_limit")
        from ultrabackend.observability.middleware import unbind_request_id

        request_finished.connect(unbind_request_id, dispatch_uid="unbind_request_id")
        from django.conf import settings

        if settings.SENTRY_DSN:  # unset: sentry_sdk is never imported
            from ultrabackend.observability.errors import init_sentry

            init_sentry(settings.SENTRY_DSN, environment=settings.SENTRY_ENVIRONMENT)
