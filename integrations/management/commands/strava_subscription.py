"""Manage Strava's push subscription (the webhook): create, show or delete it.

    python manage.py strava_subscription create [CALLBACK_URL]   (default STRAVA_WEBHOOK_CALLBACK_URL)
    python manage.py strava_subscription show
    python manage.py strava_subscription delete [--id ID]        (default: every subscription shown)

Strava allows one subscription per application; while creating it, Strava calls the callback
URL's GET (the subscription check), so the app must already be reachable there.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.exceptions import DomainError
from integrations import client as strava


class Command(BaseCommand):
    help = "Create, show or delete Strava's push subscription (webhook)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "show", "delete"])
        parser.add_argument("callback_url", nargs="?", default=None, help="create: the webhook URL")
        parser.add_argument("--id", type=int, default=None, help="delete: the subscription id")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None

    def _create(self, options: dict[str, Any]) -> None:
        callback = options["callback_url"] or settings.STRAVA_WEBHOOK_CALLBACK_URL
        if not callback:
            raise CommandError("Give the callback URL (or set STRAVA_WEBHOOK_CALLBACK_URL).")
        if not settings.STRAVA_VERIFY_TOKEN:
            raise CommandError("Set STRAVA_VERIFY_TOKEN first: the webhook's subscription check needs it.")
        sub = strava.create_subscription(callback)
        self.stdout.write(f"created subscription {sub.get('id')} for {callback}")

    def _show(self, options: dict[str, Any]) -> None:
        subs = strava.list_subscriptions()
        if not subs:
            self.stdout.write("no subscription")
        for sub in subs:
            self.stdout.write(json.dumps(sub, sort_keys=True))

    def _delete(self, options: dict[str, Any]) -> None:
        ids = [options["id"]] if options["id"] is not None else [s["id"] for s in strava.list_subscriptions()]
        if not ids:
            self.stdout.write("no subscription")
        for sub_id in ids:
            strava.delete_subscription(int(sub_id))
            self.stdout.write(f"deleted subscription {sub_id}")
