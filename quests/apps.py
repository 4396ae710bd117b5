from django.apps import AppConfig


class QuestsConfig(AppConfig):
    name = "quests"
    verbose_name = "Quests"

    def ready(self) -> None:
        # A proof-required completion is a community claim; its decision settles the quest.
        from core.services.claims.review import DECISION_HOOKS
        from core.services.quests.participation import claim_decided

        DECISION_HOOKS["quest"] = claim_decided
        # Every award advances quests; a quest's reward is an award (core/services/xp/hooks.py).
        from core.services.quests.progress import after_award
        from core.services.xp.hooks import AFTER_AWARD_HOOKS

        AFTER_AWARD_HOOKS["quests"] = after_award
        # Joining or leaving an event joins or leaves its challenge (core/services/layers).
        from core.services.layers.layer_service import EVENT_HOOKS
        from core.services.quests.participation import on_event_joined, on_event_left

        EVENT_HOOKS["joined"] = on_event_joined
        EVENT_HOOKS["left"] = on_event_left
