from django.apps import AppConfig


class QuestsConfig(AppConfig):
    name = "quests"
    verbose_name = "Quests"

    def ready(self) -> None:
        # A proof-required completion is a community claim; its decision settles the quest.
        from core.services.claims.review import DECISION_HOOKS
        from core.services.quests.participation import claim_decided

        DECISION_HOOKS["quest"] = claim_decided
