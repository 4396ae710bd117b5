from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Domain events and webhooks"

    def ready(self) -> None:
        # Imported here: the gauges read this app's models, loaded once the registry is ready.
        from events.gauges import event_gauges
        from ultrabackend.observability.metrics import DATABASE_GAUGES

        if event_gauges not in DATABASE_GAUGES:
            DATABASE_GAUGES.append(event_gauges)
