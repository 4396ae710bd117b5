"""Schema conformance: schemathesis fuzzes EVERY operation of the served OpenAPI schema against
the Django app (WSGI, in-process, on the test database), anonymous and signed in (app token,
browser session with its CSRF token, service key), and every answer must be documented: its
status, its content type and its body (plus: never a 5xx).

Bounded and derandomized (a fixed number of examples per operation, the same every run).
Swagger UI (/api/v1/docs/) is HTML for people and not an operation of the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.auth.conftest import FakeDiscord
from tests.contract.world import World, make_world

pytestmark = [pytest.mark.conformance, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12


def generated_schema() -> dict[str, Any]:
    """The schema /api/v1/schema/ serves (tests/contract/test_schema_exact.py proves it is the
    same document), generated without a request so it can be loaded at collection."""
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


API = schemathesis.openapi.from_dict(generated_schema())
API.app = WSGIHandler()
BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(db: None, discord: FakeDiscord) -> Iterator[World]:
    """Discord is the stand-in (codes and tokens it never issued are refused: 400, not 5xx)."""
    made = make_world()  # (Django's test client reconnects the signals below after each request)
    # As Django's test client does: requests must not close the test's database connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield made
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _call(case: Any, headers: dict[str, str] | None = None) -> None:
    case.call_and_validate(headers=headers or {}, checks=CHECKS)


@API.parametrize()
@BOUNDED
def test_anonymous(case: Any, world: World) -> None:
    _call(case)


@API.parametrize()
@BOUNDED
def test_with_an_app_token(case: Any, world: World) -> None:
    _call(case, {"Authorization": f"Bearer {world.bearer}"})


@API.parametrize()
@BOUNDED
def test_with_a_browser_session(case: Any, world: World) -> None:
    _call(
        case,
        {
            "Cookie": f"sessionid={world.session_cookie}; csrftoken={world.csrf_token}",
            "X-CSRFToken": world.csrf_token,
            "Referer": "http://localhost/",
        },
    )


@API.parametrize()
@BOUNDED
def test_with_a_service_key(case: Any, world: World) -> None:
    _call(case, {"Authorization": f"Api-Key {world.service_key}"})
