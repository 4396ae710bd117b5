"""The task-queue worker that outlives outages (``python manage.py run_worker``; the Procfile's
``worker``).

procrastinate's own worker stops for good when PostgreSQL goes away: its notification listener,
heartbeat or job fetch raises, and the worker shuts down ("Side task listener failed with
exception: Database error., stopping worker"), leaving deliveries, dispatches and periodic jobs
waiting for a person to restart it. This supervisor runs the same worker in a loop:

- when the worker ends without having been asked to stop (any database or Redis error), its
  connection pool is closed, PostgreSQL is polled with a capped exponential backoff
  (``WORKER_RESTART_BACKOFF_SECONDS`` up to ``WORKER_RESTART_BACKOFF_MAX_SECONDS``) until a
  connection succeeds, and a fresh worker starts (a new pool, a new listener, its periodic jobs);
- the jobs the ended worker left ``doing`` (their end could not be recorded while the database was
  away) are put back to the queue at once, keeping their lock and so their place in a player's
  order (every job is safe to run twice, docs/events.md); a worker killed outright is recovered
  by ``events.retry_stalled_jobs`` from another one, as before;
- SIGTERM or SIGINT stop it gracefully (running jobs finish), whatever state the loop is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
from typing import Any

import psycopg
from django.conf import settings
from procrastinate import worker as procrastinate_worker
from procrastinate.contrib.django import app as django_app
from procrastinate.contrib.django import settings as procrastinate_settings
from procrastinate.contrib.django import utils as procrastinate_django_utils
from procrastinate.contrib.django.models import ProcrastinateJob

from community.discord_pump import DiscordPump
from core.utils.dates import utc_now
from events import pump as event_pump
from ultrabackend.observability import metrics

logger = logging.getLogger(__name__)


class Supervisor:
    def __init__(self, app: Any, worker_options: dict[str, Any]) -> None:
        self.app = app
        self.worker_options = worker_options
        self.stopping = asyncio.Event()
        self.worker: procrastinate_worker.Worker | None = None
        self.restarts = 0

    def stop(self) -> None:
        """Graceful stop (signal): no restart afterwards; the running worker finishes its jobs."""
        if not self.stopping.is_set():
            logger.info("worker supervisor: stop requested")
        self.stopping.set()
        if self.worker is not None:
            self.worker.stop()

    def install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)

    async def run(self) -> None:
        orphaned_worker: int | None = None
        while not self.stopping.is_set():
            if not await self.wait_for_database():
                return
            ended_by_error = False
            worker_id: int | None = None
            try:
                async with self.app.open_async():
                    if orphaned_worker is not None:
                        await self.requeue_jobs_of(orphaned_worker)
                        orphaned_worker = None
                    self.worker = procrastinate_worker.Worker(
                        app=self.app,
                        **{**self.app.worker_defaults, **self.worker_options, "install_signal_handlers": False},
                    )
                    if self.stopping.is_set():
                        return
                    try:
                        await self.worker.run()
                    finally:
                        worker_id = self.worker.worker_id  # None when it unregistered cleanly
            except Exception as exc:  # the database or Redis went away under the worker
                ended_by_error = True
                logger.warning(
                    "worker ended by %s: %s; restarting when PostgreSQL answers",
                    type(exc).__name__,
                    exc,
                    extra={"action": "worker_restart", "exception": repr(exc)},
                )
            finally:
                self.worker = None
                self.forget_closed_pool()
            if self.stopping.is_set():
                return
            if worker_id is not None:
                orphaned_worker = worker_id
            if not ended_by_error:
                # The worker stopped itself (a side task failed and the database was back by the
                # time it unregistered): run it again.
                logger.warning("worker stopped without a stop request; restarting", extra={"action": "worker_restart"})
            self.restarts += 1
            metrics.WORKER_RESTARTS.inc()

    def forget_closed_pool(self) -> None:
        """A pool whose close raised (the database was away) must not be reused by the next open."""
        pool = getattr(self.app.connector, "_async_pool", None)
        if pool is not None and getattr(pool, "closed", False):
            self.app.connector._async_pool = None

    async def wait_for_database(self) -> bool:
        """Poll PostgreSQL until a connection succeeds (True) or a stop is requested (False)."""
        delay = float(settings.WORKER_RESTART_BACKOFF_SECONDS)
        cap = float(settings.WORKER_RESTART_BACKOFF_MAX_SECONDS)
        params = procrastinate_django_utils.connector_params(procrastinate_settings.settings.DATABASE_ALIAS)
        params = {k: v for k, v in params.items() if k not in {"prepare_threshold", "server_side_binding"}}
        params.setdefault("connect_timeout", 3)
        first = True
        while not self.stopping.is_set():
            try:
                conn = await psycopg.AsyncConnection.connect(**params)
                await conn.close()
                if not first:
                    logger.warning("worker supervisor: PostgreSQL answers again", extra={"action": "database_back"})
                return True
            except psycopg.Error as exc:
                if first:
                    logger.warning(
                        "worker supervisor: PostgreSQL does not answer (%s); retrying with backoff",
                        type(exc).__name__,
                        extra={"action": "database_wait"},
                    )
                first = False
            with contextlib.suppress(TimeoutError):
                # jitter: many workers do not reconnect in lockstep
                await asyncio.wait_for(self.stopping.wait(), timeout=delay * (0.8 + 0.4 * random.random()))  # noqa: S311
            delay = min(delay * 2, cap)
        return False

    async def requeue_jobs_of(self, worker_id: int) -> int:
        """The jobs an ended worker left ``doing`` go back to the queue now (not after the
        stalled-job timeout), then its row goes."""
        rows = await self.app.connector.execute_query_all_async(
            f"SELECT id FROM {ProcrastinateJob._meta.db_table} WHERE status = 'doing' AND worker_id = %(worker_id)s",
            worker_id=worker_id,
        )
        for row in rows:
            await self.app.job_manager.retry_job_by_id_async(job_id=row["id"], retry_at=_now())
        with contextlib.suppress(Exception):
            await self.app.job_manager.unregister_worker(worker_id)
        if rows:
            logger.warning(
                "requeued %s jobs left running by the ended worker %s",
                len(rows),
                worker_id,
                extra={"action": "requeue_orphaned_jobs"},
            )
        return len(rows)


def _now() -> Any:

    return utc_now()


def run(worker_options: dict[str, Any], *, pump: bool = True) -> int:
    """Run the supervised worker (and the event and Discord pumps beside it) until SIGTERM/SIGINT; returns
    the number of restarts."""

    async def pump_failed(exc: BaseException) -> None:
        metrics.WORKER_RESTARTS.inc()
        logger.warning(
            "a pump (events or Discord) ended by %s: %s; restarting with backoff",
            type(exc).__name__,
            exc,
            extra={"action": "pump_restart", "exception": repr(exc)},
        )

    async def main() -> int:
        supervisor = Supervisor(django_app, worker_options)
        supervisor.install_signal_handlers()
        pumps = (
            [
                asyncio.create_task(event_pump.run_forever(supervisor.stopping, pump_failed)),
                asyncio.create_task(event_pump.run_forever(supervisor.stopping, pump_failed, DiscordPump)),
            ]
            if pump
            else []
        )
        try:
            await supervisor.run()
        finally:
            supervisor.stopping.set()
            for task in pumps:
                await task
        return supervisor.restarts

    # As `manage.py procrastinate worker` does: the app's jobs (retry_stalled_jobs) use it too.
    with django_app.replace_connector(django_app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        return asyncio.run(main())
