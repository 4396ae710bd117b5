"""Recompute streak state from the ledger (local days of award entries and freezes spent ahead)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from achievements.models import StreakState
from core.services.achievements import streaks
from xp.models import XPEntry


class Command(BaseCommand):
    help = "Rebuild every player's streaks from the ledger; --check only reports players whose stored state differs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Report differences, write nothing.")
        parser.add_argument("--user", type=int, help="Only this player (id).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["user"]:
            user_ids = [options["user"]]
        else:
            user_ids = sorted(
                set(XPEntry.objects.values_list("user_id", flat=True).distinct())
                | set(StreakState.objects.values_list("user_id", flat=True))
            )
        differing = 0
        for user_id in user_ids:
            for mode, (rebuilt, stored) in streaks.rebuild(user_id, write=not options["check"]).items():
                same = stored == rebuilt if stored is not None else rebuilt.last_day is None
                if not same:
                    differing += 1
                    self.stdout.write(f"user {user_id} {mode}: stored {stored} rebuilt {rebuilt}")
        verb = "differ" if options["check"] else "were rebuilt"
        self.stdout.write(f"{len(user_ids)} players checked; {differing} streaks {verb}.")
        if options["check"] and differing:
            raise SystemExit(1)
