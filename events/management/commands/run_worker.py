"""``python manage.py run_worker``: the task-queue worker that rides out database and Redis
outages of any length (events/worker.py). The Procfile's ``worker`` process."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from events import worker


class Command(BaseCommand):
    help = "Run the task-queue worker; it reconnects with backoff after PostgreSQL or Redis outages."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--concurrency", type=int, help="Jobs at once (default WORKER_CONCURRENCY).")
        parser.add_argument("--queues", default="", help="Comma-separated queues (default: every queue).")
        parser.add_argument("--name", default=None, help="The worker's name in logs.")
        parser.add_argument(
            "--no-pump",
            action="store_true",
            help="Run jobs only, no pumps (event fan-out, webhook delivery, Discord messages).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_options: dict[str, Any] = {}
        if options["concurrency"]:
            worker_options["concurrency"] = options["concurrency"]
        queues = [q.strip() for q in options["queues"].split(",") if q.strip()]
        if queues:
            worker_options["queues"] = queues
        if options["name"]:
            worker_options["name"] = options["name"]
        restarts = worker.run(worker_options, pump=not options["no_pump"])
        self.stderr.write(f"worker stopped after {restarts} restart(s)")
