"""python manage.py create_api_key NAME --scopes xp:write profile:read [--expires-days N]

Prints a summary, then the new key alone on the last line. The key is shown only this once
(only its hash is stored): hand it to the service now."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from users.models import SCOPES, ServiceAPIKey


class Command(BaseCommand):
    help = "Create a scoped service API key and print it once (last line of the output)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who uses the key, e.g. discord-bot")
        parser.add_argument("--scopes", nargs="+", required=True, choices=SCOPES, help="scopes the key grants")
        parser.add_argument("--expires-days", type=int, default=None, help="the key stops working after N days")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("NAME must not be empty.")
        days = options["expires_days"]
        if days is not None and days <= 0:
            raise CommandError("--expires-days must be positive.")
        expiry = timezone.now() + timedelta(days=days) if days else None
        scopes = sorted(set(options["scopes"]))
        api_key, key = ServiceAPIKey.objects.create_key(name=name, scopes=scopes, expiry_date=expiry)
        self.stdout.write(f"Created API key {api_key.prefix!r} for {name!r} with scopes {', '.join(scopes)}.")
        self.stdout.write("Send it as 'Authorization: Api-Key <key>'. It is shown only now:")
        self.stdout.write(key)
