"""Register the slash commands and the Linked Roles metadata with Discord (bulk overwrite:
run it after every deployment that changes them; running it twice changes nothing)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from community.commands import COMMANDS, ROLE_METADATA
from core.clients import discord as api


class Command(BaseCommand):
    help = "Register the slash commands (global, or one server with --guild) and the Linked Roles metadata."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--guild", help="a server (guild) id: its commands update at once (for testing)")
        parser.add_argument("--skip-metadata", action="store_true", help="leave the Linked Roles metadata alone")

    def handle(self, *args: Any, **options: Any) -> None:
        app_id = api.application_id()
        if not app_id or not settings.DISCORD_BOT_TOKEN:
            raise CommandError("Set DISCORD_BOT_TOKEN and DISCORD_APPLICATION_ID (or DISCORD_CLIENT_ID).")
        guild = options.get("guild")
        if guild is not None and not re.fullmatch(r"[0-9]{17,20}", guild):
            raise CommandError("--guild takes a server id (17 to 20 digits).")
        path = f"/applications/{app_id}/guilds/{guild}/commands" if guild else f"/applications/{app_id}/commands"
        registered = self._put(path, COMMANDS)
        where = f"server {guild}" if guild else "every server (global)"
        names = ", ".join(f"/{c.get('name')}" for c in registered) if isinstance(registered, list) else ""
        self.stdout.write(f"commands registered for {where}: {names}")
        if not options.get("skip_metadata"):
            self._put(f"/applications/{app_id}/role-connections/metadata", ROLE_METADATA)
            self.stdout.write("Linked Roles metadata registered: " + ", ".join(m["key"] for m in ROLE_METADATA))

    def _put(self, path: str, body: Any) -> Any:
        try:
            return api.call("PUT", path, json=body, headers=api.bot_headers())
        except api.RateLimited as exc:
            raise CommandError(f"Discord rate-limited us: try again in {exc.retry_after:g} s.") from None
        except api.Rejected as exc:
            raise CommandError(f"Discord refused {path} ({exc.status}): {exc.body!r}"[:500]) from None
        except api.DiscordError as exc:
            raise CommandError(f"Discord is unavailable: {exc}") from None
