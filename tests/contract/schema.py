"""The schema under test, loaded into schemathesis, and the in-process WSGI app it calls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from werkzeug.test import Client, TestResponse


def generated_schema() -> dict[str, Any]:
    """The schema /api/v1/schema/ serves (test_schema_exact.py proves it is the same document),
    generated without a request so that it can be loaded when tests are collected."""
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def resolved(schema: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    """An operation's response, its ``$ref`` to a shared error answer (components/responses)
    followed."""
    ref = response.get("$ref")
    if isinstance(ref, str):
        return schema["components"]["responses"][ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]
    return response


APP = WSGIHandler()
SCHEMA = generated_schema()
API = schemathesis.openapi.from_dict(SCHEMA)
API.app = APP


@contextlib.contextmanager
def connection_kept_open() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's database connection
    (Django's test client reconnects these after each of its own requests: enter this after)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def wsgi_client() -> Client:
    return Client(APP)


def conforms(method: str, path: str, response: TestResponse) -> TestResponse:
    """Assert that ``response`` is documented for the operation ``method path`` (a path of the
    schema, with {parameters}): its status, its content type and its body."""
    operation = API[path][method.upper()]
    responses = operation.definition.raw["responses"]
    assert str(response.status_code) in responses, (response.status_code, response.get_data(as_text=True))
    documented = resolved(SCHEMA, responses[str(response.status_code)]).get("content", {})
    if response.get_data():
        assert response.mimetype in documented, (response.mimetype, list(documented))
    operation.validate_response(response)
    return response
