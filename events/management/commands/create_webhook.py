"""python manage.py create_webhook URL --events level_up,layer_up [--description TEXT]

Prints a summary, then the endpoint's signing secret (``whsec_...``) alone on the last line."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import DomainError
from core.services.events import webhooks
from events.models import EVENT_TYPES


class Command(BaseCommand):
    help = "Subscribe a URL to domain events (signed webhooks); prints the secret on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("url", help="where the signed POSTs go, e.g. https://bot.example.com/hooks")
        parser.add_argument("--events", required=True, help=f"comma-separated event types: {', '.join(EVENT_TYPES)}")
        parser.add_argument("--description", default="", help="a note for the admin list")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            endpoint = webhooks.create_endpoint(
                url=options["url"], event_types=options["events"], description=options["description"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        self.stdout.write(
            f"Created webhook endpoint {endpoint.pk} for {endpoint.url} ({', '.join(endpoint.event_types)})."
        )
        self.stdout.write("Verify the webhook-signature header with this secret (Standard Webhooks):")
        self.stdout.write(endpoint.secret)
