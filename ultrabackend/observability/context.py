"""The request id: taken from ``X-Request-ID`` (or made), echoed in the answer, written on the
log lines of the request and carried into the jobs it causes (on the domain events it records).

A context variable, so it follows the request through threads started with ``contextvars`` and
through asyncio tasks; a job binds the id of the event it works on while it runs."""

from __future__ import annotations

import contextlib
import random
import re
from collections.abc import Iterator
from contextvars import ContextVar

REQUEST_ID_HEADER = "X-Request-ID"
# What a caller may send: printable, no spaces, bounded (it ends up in logs and in the database).
MAX_REQUEST_ID_LENGTH = 128
_VALID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def new_request_id() -> str:
    """32 hex digits, as a uuid4 would give, from the process's random generator: an id only has
    to be unique, not secret, and this spares a system call per request (``random`` is seeded
    again in every forked worker, so two workers never share a sequence)."""
    return f"{random.getrandbits(128):032x}"


def accept_request_id(value: str | None) -> str:
    """The caller's id when it is usable, otherwise a fresh one (never an error: an id is a
    debugging aid, a request is not refused for a malformed one)."""
    if value and _VALID.match(value):
        return value
    return new_request_id()


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Bind ``value``; returns a token for :func:`reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


@contextlib.contextmanager
def request_id_bound(value: str | None) -> Iterator[None]:
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)
