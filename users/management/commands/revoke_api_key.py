"""python manage.py revoke_api_key PREFIX   (the prefix is the part of the key before the dot)

Revocation is permanent: a revoked key gets 401 at once and cannot be un-revoked."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from users.models import ServiceAPIKey


class Command(BaseCommand):
    help = "Revoke a service API key by its prefix (or its full key)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prefix", help="the key's prefix as shown in the admin, or the whole key")

    def handle(self, *args: Any, **options: Any) -> None:
        prefix = options["prefix"].strip().partition(".")[0]
        api_key = ServiceAPIKey.objects.filter(prefix=prefix).first()
        if api_key is None:
            raise CommandError(f"No API key with prefix {prefix!r}.")
        if api_key.revoked:
            self.stdout.write(f"API key {prefix!r} ({api_key.name}) was already revoked.")
            return
        api_key.revoked = True
        api_key.save(update_fields=["revoked"])
        self.stdout.write(f"Revoked API key {prefix!r} ({api_key.name}).")
