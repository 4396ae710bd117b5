"""Re-encrypt the stored Discord tokens with the first FIELD_ENCRYPTION_KEY (key rotation:
put the new key first, run this, then remove the old key)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core.services.discord.linked_roles import rotate_keys
from ultrabackend import crypto


class Command(BaseCommand):
    help = "Re-encrypt the Linked Roles tokens with the first FIELD_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        if not crypto.is_configured():
            raise CommandError("FIELD_ENCRYPTION_KEY is not set (or not Fernet keys).")
        try:
            done = rotate_keys()
        except crypto.DecryptionFailed:
            raise CommandError("A stored token opens with none of the keys: keep the old key in the list.") from None
        self.stdout.write(f"re-encrypted the tokens of {done} link(s)")
