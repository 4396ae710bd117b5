"""Optional error reporting to Sentry (``SENTRY_DSN``; docs/operations.md "Sentry").

Unset (the default), nothing here runs and ``sentry_sdk`` is never imported. Set, every process
that starts Django (web workers, ``manage.py run_worker``, commands) reports:

- an exception a view did not handle (the answer stays the JSON ``server_error``), through the
  Django integration;
- every log line at ERROR with its traceback: a job that failed for good (procrastinate logs it at
  ERROR; a job that will be retried logs at INFO), a pump's crashed send;
- with the request id (``X-Request-ID``, or the one carried by the event a job works on) as the
  tag ``request_id``, so an error is found from a log line and back.

No personal data is sent (Sentry's default: no user, no IP address, no cookies) and no tracing headers are added to outgoing
requests (webhook receivers and Discord never see Sentry's headers)."""

from __future__ import annotations

import logging
from typing import Any

from ultrabackend.observability.context import current_request_id


def init_sentry(dsn: str, *, environment: str = "") -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        integrations=[DjangoIntegration(), LoggingIntegration(level=logging.INFO, event_level=logging.ERROR)],
        traces_sample_rate=None,
        trace_propagation_targets=[],
        before_send=tag_request_id,
    )


def tag_request_id(event: Any, hint: dict[str, Any]) -> Any:
    """Sentry's ``before_send``: the event (sentry_sdk's Event, a dict) tagged with the request id."""
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
