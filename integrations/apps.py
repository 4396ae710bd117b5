from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"
    verbose_name = "Integrations (Strava)"

    def ready(self) -> None:
        # A held Strava import is a claim in the one review queue; its decision settles the record.
        from core.services.claims.review import DECISION_HOOKS
        from core.services.strava import strava_service

        DECISION_HOOKS["strava"] = strava_service.claim_decided
