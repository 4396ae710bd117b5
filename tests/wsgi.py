"""Calling a WSGI application in the test process, as gunicorn calls it."""

from __future__ import annotations

from typing import Any
from wsgiref.util import setup_testing_defaults


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    """(status line, headers, body) of one request; ``environ`` is completed with wsgiref's
    testing defaults (method GET, host, protocol, wsgi.*) where it says nothing."""
    setup_testing_defaults(environ)
    started: list[Any] = []
    response = app(environ, lambda status, headers: started.append((status, headers)))
    body = b"".join(response)
    response.close()
    status, headers = started[0]
    return status, dict(headers), body
