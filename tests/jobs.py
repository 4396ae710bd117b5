"""Run the task queue's pending jobs in the test process, as `manage.py procrastinate worker` does."""

from __future__ import annotations

from procrastinate.contrib.django import app


def run_pending_jobs(queues: list[str] | None = None) -> None:
    """Process every job that is ready now, then return (needs a transactional test: the worker
    reads committed jobs over its own connection, as the real worker does)."""
    with app.replace_connector(app.connector.get_worker_connector()):  # type: ignore[attr-defined]
        app.run_worker(queues=queues, wait=False, install_signal_handlers=False, listen_notify=False)
