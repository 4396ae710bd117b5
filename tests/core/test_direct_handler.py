"""POST /api/v1/xp/add/ through the direct handler (ultrabackend/direct_handler.py), as gunicorn
serves it: the same answers and headers as the lean middleware chain, requests the lean answer
declines passed on to the chain with their body, outages answered as the chain answers them,
and the handler off when a middleware it cannot call is configured."""

from __future__ import annotations

import io
import json
from typing import Any

import psycopg
import pytest
from django.core.signals import request_finished
from rest_framework.test import APIClient

import ultrabackend.wsgi
from api.v1.xp import hot_path
from core.services.xp import store
from tests.round_trips import RoundTrips
from tests.wsgi import call_wsgi
from ultrabackend.direct_handler import DirectHandler, middleware_hooks
from ultrabackend.lean_handler import XP_ADD_PATH, PathDispatcher, application
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "k" * 32  # a CSRF secret: the cookie and the header carry the same one
ORIGIN = "https://app.example.test"  # allowed where a test says so


class OwnCallMiddleware:
    """A middleware with its own __call__: the direct handler cannot know what it does."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)


def session_cookie(user: CustomUser) -> str:
    client = APIClient()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def post(app: Any, body: Any, cookie: str, **headers: str) -> tuple[str, dict[str, str], bytes]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": XP_ADD_PATH,
        "SERVER_NAME": "testserver",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_COOKIE": cookie,
        "HTTP_X_CSRFTOKEN": CSRF,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(raw),
        **headers,
    }
    return call_wsgi(app, environ)


@pytest.fixture
def dispatcher() -> PathDispatcher:
    return application()


@pytest.fixture
def chain_calls(dispatcher: PathDispatcher) -> list[str]:
    """Paths the direct handler passed on to the lean chain."""
    calls: list[str] = []
    handler = dispatcher.direct[XP_ADD_PATH]
    chain = handler.fallback
    handler.fallback = lambda environ, start: calls.append(environ["PATH_INFO"]) or chain(environ, start)
    return calls


def comparable(answer: tuple[str, dict[str, str], bytes], player: CustomUser) -> tuple[Any, ...]:
    status, headers, content = answer
    headers = {k: v for k, v in headers.items() if k not in ("Content-Length", "RateLimit")}
    document = json.loads(content)
    if "entry" in document:
        document["entry"].pop("id"), document["entry"].pop("created_at")
        assert document["profile"].pop("id") == player.pk
        assert document["profile"].pop("username") == player.username
        assert document["profile"].pop("display_name") == player.display_name
    return status, headers, document


def test_what_gunicorn_serves_answers_xp_add_directly():
    served = ultrabackend.wsgi.application
    assert isinstance(served, PathDispatcher)
    assert isinstance(served.direct[XP_ADD_PATH], DirectHandler) and served.direct[XP_ADD_PATH].enabled


@pytest.mark.redis
@pytest.mark.parametrize(
    "headers",
    [{}, {"HTTP_ACCEPT_LANGUAGE": "de"}, {"HTTP_ORIGIN": ORIGIN}, {"HTTP_IDEMPOTENCY_KEY": "k-1"}],
    ids=["plain", "german", "cors", "idempotency key"],
)
def test_the_direct_answer_is_the_lean_chains_answer(dispatcher, chain_calls, redis_server, settings, headers):
    settings.CORS_ALLOWED_ORIGINS = settings.CSRF_TRUSTED_ORIGINS = [ORIGIN]
    direct_player, chain_player = PlayerFactory(display_name="Twin 1"), PlayerFactory(display_name="Twin 2")
    body = {"activity": "running", "units": "5.3", "note": "first"}  # a level up and a layer up
    direct = post(dispatcher, body, session_cookie(direct_player), **headers)
    chain = post(dispatcher.lean, body, session_cookie(chain_player), **headers)
    assert chain_calls == []  # answered by the direct handler itself
    assert direct[0] == "201 Created"
    assert comparable(direct, direct_player) == comparable(chain, chain_player)
    assert {"X-Frame-Options", "X-Content-Type-Options", "Vary", "RateLimit", "Content-Language"} <= set(direct[1])
    if "HTTP_ORIGIN" in headers:
        assert {k.lower(): v for k, v in direct[1].items()}["access-control-allow-origin"] == ORIGIN


@pytest.mark.redis
def test_a_direct_xp_add_is_one_sql_statement_and_one_redis_round_trip(dispatcher, redis_server, monkeypatch):
    player = PlayerFactory()
    cookie = session_cookie(player)
    assert post(dispatcher, {"activity": "pushups", "units": 1}, cookie)[0] == "201 Created"  # learns the session
    trips = RoundTrips(monkeypatch)
    for units in (2, 3):
        trips.reset()
        assert post(dispatcher, {"activity": "pushups", "units": units}, cookie)[0] == "201 Created"
        assert trips.sql == ["WITH"] and trips.redis == 1


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"activity": "no-such-activity", "units": 1}, "unknown_activity"),  # read, then declined
        ({"activity": "pushups", "units": -1}, "units_not_positive"),
        (b"{not json", "parse_error"),
    ],
)
def test_a_request_the_lean_answer_declines_is_answered_by_the_chain_with_its_body(
    dispatcher, chain_calls, monkeypatch, body, code
):
    asked: list[str] = []
    answer = dispatcher.direct[XP_ADD_PATH].answer
    dispatcher.direct[XP_ADD_PATH].answer = lambda request: asked.append("direct") or answer(request)
    monkeypatch.setattr(
        "api.v1.xp.views.lean_answer", lambda request: asked.append("view") or hot_path.lean_answer(request)
    )
    player = PlayerFactory()
    status, _, content = post(dispatcher, body, session_cookie(player))
    assert status.startswith("400") and json.loads(content)["code"] == code
    assert chain_calls == [XP_ADD_PATH]
    assert asked == ["direct"]  # the view did not ask the lean answer a second time
    assert not XPEntry.objects.filter(user=player).exists()


def test_signed_out_and_service_key_requests_are_the_chains(dispatcher, chain_calls):
    status, _, content = post(dispatcher, {"activity": "pushups", "units": 1}, "")
    assert status.startswith("401") or status.startswith("403"), status
    assert json.loads(content)["code"]
    assert chain_calls == [XP_ADD_PATH]


def test_a_request_a_middleware_refuses_is_answered_by_the_chain(dispatcher, chain_calls):
    player = PlayerFactory()
    direct = post(dispatcher, {"activity": "pushups", "units": 1}, session_cookie(player), HTTP_HOST="evil.test")
    chain = post(dispatcher.lean, {"activity": "pushups", "units": 1}, session_cookie(player), HTTP_HOST="evil.test")
    assert direct[0] == chain[0] == "400 Bad Request"  # CommonMiddleware: the host is not allowed
    assert chain_calls == [XP_ADD_PATH]
    assert not XPEntry.objects.filter(user=player).exists()


def test_a_database_outage_during_the_answer_is_the_chains_503(dispatcher, chain_calls, monkeypatch):
    player = PlayerFactory()
    cookie = session_cookie(player)

    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(store, "write_checked_entry", unavailable)
    direct = post(dispatcher, {"activity": "pushups", "units": 1}, cookie)
    chain = post(dispatcher.lean, {"activity": "pushups", "units": 1}, cookie)
    assert chain_calls == []
    assert direct[0] == chain[0] == "503 Service Unavailable"
    assert direct[1]["Retry-After"] == chain[1]["Retry-After"]
    assert json.loads(direct[2])["code"] == json.loads(chain[2])["code"] == "database_unavailable"
    assert {k for k in direct[1] if k != "Content-Length"} == {k for k in chain[1] if k != "Content-Length"}


def test_the_request_finishes_as_through_django(dispatcher):
    finished: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        finished.append(sender)

    request_finished.connect(receiver)
    try:
        post(dispatcher, {"activity": "pushups", "units": 1}, session_cookie(PlayerFactory()))
    finally:
        request_finished.disconnect(receiver)
    assert finished == [DirectHandler]


def test_a_middleware_it_cannot_call_turns_the_direct_handler_off(settings, dispatcher, chain_calls):
    unknown = [*settings.LEAN_PATH_MIDDLEWARE, "tests.core.test_direct_handler.OwnCallMiddleware"]
    assert middleware_hooks(settings.LEAN_PATH_MIDDLEWARE) is not None
    assert middleware_hooks(unknown) is None
    handler = DirectHandler(XP_ADD_PATH, hot_path.lean_answer, dispatcher.lean, unknown, hot_path.DECLINED)
    assert not handler.enabled
    status, _, _ = post(handler, {"activity": "pushups", "units": 1}, session_cookie(PlayerFactory()))
    assert status == "201 Created"  # the lean chain answered
