"""Rebuild the Redis rank index from the database (PostgreSQL is the truth)."""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.constants.modes import MODES
from core.selectors.seasons import rank_keys
from core.services.seasons import rank_index
from core.utils.dates import season_id_for, utc_now
from seasons.models import RankIndexRepair, SeasonScore
from ultrabackend.redis import get_redis


class Command(BaseCommand):
    help = "Rebuild the leaderboard index in Redis for every season (or --season YYYY-MM)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--season", help="only this season (YYYY-MM)")
        parser.add_argument("--current", action="store_true", help="only the current season")
        parser.add_argument("--missing", action="store_true", help="only boards not ready or needing repair")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        client = get_redis()
        if client is None:
            raise CommandError("REDIS_URL is not set: there is no index to rebuild (the database serves ranks).")
        boards = rank_index.boards_in_database()
        if options["season"]:
            boards = [(s, m) for s, m in boards if s == options["season"]]
        if options["current"]:
            boards = [(season_id_for(utc_now()), m) for m in MODES]
        if options["missing"]:
            repairs = set(RankIndexRepair.objects.values_list("season_id", "mode"))
            boards = [(s, m) for s, m in boards if (s, m) in repairs or not client.exists(rank_keys.ready_key(s, m))]
        for season_id, mode in boards:
            started = utc_now()
            total = SeasonScore.objects.filter(season_id=season_id, mode=mode).count()
            with tqdm(
                total=total, desc=f"{season_id} {mode}", disable=bool(options["no_progress"]), file=self.stderr
            ) as bar:
                client.delete(rank_keys.ready_key(season_id, mode))
                written = rank_index.rebuild_board(season_id, mode, progress=bar.update)
            RankIndexRepair.objects.filter(season_id=season_id, mode=mode, created_at__lte=started).delete()
            self.stdout.write(f"{season_id} {mode}: {written} scores indexed")
        self.stdout.write(self.style.SUCCESS(f"rebuilt {len(boards)} board(s)"))
