"""The WSGI application (ultrabackend/lean_handler.py): LEAN_PATHS are served through the shorter
middleware chain with the same answers, headers included, as Django's full chain."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from core.utils.dates import utc_now
from tests.seasons.helpers import award_at
from tests.wsgi import call_wsgi
from ultrabackend.lean_handler import PathDispatcher, application
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def call(app: Any, path: str, cookie: str = "", query: str = "") -> tuple[str, dict[str, str], bytes]:
    environ = {
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "HTTP_ORIGIN": "http://localhost:3000",
        "HTTP_COOKIE": cookie,
        "REMOTE_ADDR": "127.0.0.1",
        # the same id for every call, so the answers compare equal header for header
        "HTTP_X_REQUEST_ID": "lean-handler-test",
    }
    return call_wsgi(app, environ)


@pytest.fixture
def dispatcher() -> PathDispatcher:
    return application()


def test_board_pages_take_the_lean_chain_with_the_full_chains_answer(dispatcher, settings):
    assert "/api/v1/seasons/reality/" in settings.LEAN_PATHS and "/api/v1/seasons/cyber/" in settings.LEAN_PATHS
    players = [PlayerFactory() for _ in range(3)]
    for i, player in enumerate(players):
        award_at(player, 10 * (i + 1), utc_now())
    client = APIClient()
    client.force_login(players[0])
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    for path in ("/api/v1/seasons/reality/", "/api/v1/seasons/cyber/"):
        for signed_in in ("", cookie):
            lean = call(dispatcher.lean, path, signed_in, "page_size=2")
            full = call(dispatcher.full, path, signed_in, "page_size=2")
            assert lean == full
            assert call(dispatcher, path, signed_in, "page_size=2") == lean
            assert lean[0] == "200 OK"
    status, headers, body = call(dispatcher, "/api/v1/seasons/reality/", cookie)
    assert b'"me":{"rank":3' in body
    assert {"X-Frame-Options", "X-Content-Type-Options", "Vary"} <= set(headers)


def test_every_other_path_takes_the_full_chain(dispatcher):
    served: list[str] = []
    for name in ("full", "lean"):
        handler = getattr(dispatcher, name)
        setattr(
            dispatcher,
            name,
            lambda environ, start, handler=handler, name=name: served.append(name) or handler(environ, start),
        )
    call(dispatcher, "/api/v1/health/")
    call(dispatcher, "/api/v1/seasons/")
    call(dispatcher, "/api/v1/seasons/reality/")
    assert served == ["full", "full", "lean"]
