"""Close every ended season that is not closed yet (safe to run any number of times)."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core.constants.modes import MODES
from core.services.seasons import closing


class Command(BaseCommand):
    help = (
        "Close ended seasons: store final ranks and leagues, promote and demote per cohort. Idempotent and resumable."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (for schedulers' logs)")

    def handle(self, *args: object, **options: object) -> None:
        seasons = closing.seasons_to_close()
        if not seasons:
            self.stdout.write("no season to close")
            return
        for season in seasons:
            steps = len(MODES) * len(closing.CLOSE_STEPS)
            with tqdm(
                total=steps, desc=f"closing {season.id}", disable=bool(options["no_progress"]), file=self.stderr
            ) as bar:
                report = closing.close_season(season, on_step=lambda mode, step: bar.update(1))
            self.stdout.write(
                self.style.SUCCESS(
                    f"closed {report.season_id}: {report.steps_run} steps run, {report.steps_skipped} already done, "
                    f"{report.moved_up} promoted, {report.moved_down} demoted"
                )
            )
