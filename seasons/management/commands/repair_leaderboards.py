"""Find every difference between the Redis rank index and PostgreSQL and fix it."""

from django.core.management.base import BaseCommand, CommandError

from core.services.seasons import rank_index
from ultrabackend.redis import get_redis


class Command(BaseCommand):
    help = (
        "Check every leaderboard (or --season YYYY-MM) against the database and rebuild each board that differs, "
        "is not ready or missed a write. Exit 1 if a board still differs afterwards."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--season", help="only this season (YYYY-MM)")
        parser.add_argument("--no-progress", action="store_true", help="accepted for symmetry with the other commands")

    def handle(self, *args: object, **options: object) -> None:
        if get_redis() is None:
            raise CommandError("REDIS_URL is not set: there is no index to repair (the database serves ranks).")
        boards = rank_index.boards_in_database()
        if options["season"]:
            boards = [(s, m) for s, m in boards if s == options["season"]]
        repairs = rank_index.repair_boards(boards)
        for repair in repairs:
            self.stdout.write(f"{repair.season_id} {repair.mode}: {len(repair.problems)} difference(s), rebuilt")
            for problem in repair.problems[:10]:
                self.stdout.write(f"  {problem}")
        left = [p for s, m in boards for p in rank_index.check_board(s, m)]
        if left:
            for problem in left[:20]:
                self.stderr.write(problem)
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(f"{len(boards)} board(s) in step, {len(repairs)} repaired"))
