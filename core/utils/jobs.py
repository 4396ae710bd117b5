"""Deferring a job by its task's name, so a service never imports a tasks module (the tasks
import the services they run: docs/architecture.md, "Layers of the code")."""

from __future__ import annotations

import contextlib
from typing import Any

from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued


def defer_job(task_name: str, *, queueing_lock: str | None = None, **arguments: Any) -> None:
    """Queue ``task_name`` with ``arguments`` (in the caller's transaction). With a queueing lock,
    a job already waiting under it is enough: nothing more is queued."""
    options = {"queueing_lock": queueing_lock} if queueing_lock else {}
    with contextlib.suppress(AlreadyEnqueued):
        app.configure_task(task_name, allow_unknown=False, **options).defer(**arguments)
