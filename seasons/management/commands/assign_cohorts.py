"""Place every season score still waiting for a cohort (once at deploy for the running season)."""

from django.core.management.base import BaseCommand, CommandError

from core.services.seasons import cohorts
from core.utils.dates import SEASON_ID_RE, season_id_for, utc_now


class Command(BaseCommand):
    help = (
        "Place the scores of a season that have no cohort (made before cohorts existed, or whose first "
        "award was cut off) in cohorts of their league, in order of arrival. Idempotent."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--season", help="YYYY-MM; the current season when omitted")

    def handle(self, *args: object, **options: object) -> None:
        season_id = str(options["season"] or season_id_for(utc_now()))
        if not SEASON_ID_RE.fullmatch(season_id):
            raise CommandError("A season is identified as YYYY-MM.")
        placed = cohorts.assign_missing(season_id)
        self.stdout.write(self.style.SUCCESS(f"{season_id}: {placed} scores placed in cohorts"))
