"""Compare the Redis rank index with the database; exit 1 when they differ."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.services.seasons import rank_index
from ultrabackend.redis import get_redis


class Command(BaseCommand):
    help = "Report every difference between the leaderboard index in Redis and the database."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--season", help="only this season (YYYY-MM)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: object, **options: object) -> None:
        if get_redis() is None:
            raise CommandError("REDIS_URL is not set: there is no index to check.")
        boards = rank_index.boards_in_database()
        if options["season"]:
            boards = [(s, m) for s, m in boards if s == options["season"]]
        problems: list[str] = []
        for season_id, mode in tqdm(boards, desc="checking", disable=bool(options["no_progress"]), file=self.stderr):
            problems += rank_index.check_board(season_id, mode)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            self.stdout.write(self.style.ERROR(f"{len(problems)} difference(s); run rebuild_leaderboards"))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS(f"{len(boards)} board(s) in step with the database"))
