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
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, settings
from nacl.signing import SigningKey
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.auth.conftest import FakeDiscord
from tests.contract.schema import API, connection_kept_open
from tests.contract.world import World, make_world

pytestmark = [pytest.mark.conformance, pytest.mark.django_db]

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 12


BOUNDED = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(db: None, discord: FakeDiscord, settings: Any) -> Iterator[World]:
    """Discord is the stand-in (codes and tokens it never issued are refused: 400, not 5xx), and
    every Discord feature is configured: a feature that is not answers 503 feature_not_configured
    to any request, which would hide what the fuzzing is for."""
    settings.DISCORD_PUBLIC_KEY = SigningKey.generate().verify_key.encode().hex()
    settings.DISCORD_LINKED_ROLES_ENABLED = True
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    made = make_world()
    with connection_kept_open():
        yield made


def _call(case: Any, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> None:
    response = case.call_and_validate(headers=headers or {}, cookies=cookies or {}, checks=CHECKS)
    if headers or cookies:  # a signed-in run really is signed in
        assert not (response.status_code == 401 and response.json().get("code") == "not_authenticated")


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
        {"X-CSRFToken": world.csrf_token},
        {"sessionid": world.session_cookie, "csrftoken": world.csrf_token},
    )


@API.parametrize()
@BOUNDED
def test_with_a_service_key(case: Any, world: World) -> None:
    _call(case, {"Authorization": f"Api-Key {world.service_key}"})
