"""Deferring a job by its task's name, so a service never imports a tasks module (the tasks
import the services they run: docs/architecture.md, "Layers of the code")."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued


def defer_job(task_name: str, *, queueing_lock: str | None = None, lock: str | None = None, **arguments: Any) -> bool:
    """Queue ``task_name`` with ``arguments`` (in the caller's transaction). With a queueing lock,
    a job already waiting under it is enough: nothing more is queued (False). ``lock``: jobs under
    the same lock never run side by side. A refused duplicate is refused inside a savepoint, so
    the caller's transaction stays usable."""
    options: dict[str, Any] = {}
    if queueing_lock:
        options["queueing_lock"] = queueing_lock
    if lock:
        options["lock"] = lock
    task = app.configure_task(task_name, allow_unknown=False, **options)
    if not queueing_lock:
        task.defer(**arguments)
        return True
    try:
        with transaction.atomic():
            task.defer(**arguments)
    except AlreadyEnqueued:
        return False
    return True
