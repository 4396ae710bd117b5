"""Rebuild every reality/cyber layer status from the ledger and report what differed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from core.constants.layers import LADDERS
from core.services.layers import layer_service


class Command(BaseCommand):
    help = (
        "Rebuild RealityLayerStatus/CyberLayerStatus from the XP ledger sums. Every fix is recorded "
        "as a LayerChange with reason 'recompute'. Safe to run while players earn XP."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only report what differs; change nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")

    def handle(self, *args: Any, dry_run: bool = False, no_progress: bool = False, **options: Any) -> None:
        def progress(items: list[int]) -> Any:
            return tqdm(items, desc="players", unit="player", file=self.stderr._out, disable=no_progress)

        diffs = layer_service.recompute_layers(dry_run=dry_run, progress=progress)
        verb = "would change" if dry_run else "changed"
        for d in diffs:
            self.stdout.write(
                f"{d.username} (id {d.user_id}) {d.mode}: {_code(d.mode, d.stored)} -> {_code(d.mode, d.expected)} "
                f"({d.mode_xp} XP in the ledger)"
            )
        if not diffs:
            self.stdout.write(self.style.SUCCESS("All layer statuses match the ledger."))
        else:
            self.stdout.write(
                self.style.WARNING(f"{len(diffs)} layer status(es) {verb}" + (" (dry run)." if dry_run else "."))
            )


def _code(mode: str, order: int) -> str:
    ladder = LADDERS[mode]
    return ladder[order].code if 0 <= order < len(ladder) else f"invalid layer {order}"
