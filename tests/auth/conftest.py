"""Fixtures for sign-in tests: a stand-in Discord on loopback, service keys, a tiny frontend.

The stand-in Discord is a real HTTP server (http.server in a thread) that speaks the parts of
Discord's OAuth2 API the backend uses: /oauth2/authorize (auto-consents as ``current_user``),
/oauth2/token and /users/@me, with Discord's error bodies.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from users.models import ServiceAPIKey

CLIENT_ID = "123456789012345678"
CLIENT_SECRET = "stand-in-secret"


class FakeDiscord:
    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, tuple[str, str]] = {}  # code -> (discord_id, redirect_uri)
        self.tokens: dict[str, str] = {}  # access token -> discord_id
        self.token_apps: dict[str, str] = {}  # access token -> the application it was issued to
        self.current_user: str | None = None  # who "is logged in at Discord" for authorize
        self.failure: str | None = None  # "5xx", "429", "garbage": how Discord misbehaves
        self.authorize_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add_user(
        self,
        discord_id: str,
        username: str,
        *,
        global_name: str | None = None,
        avatar: str | None = None,
        email: str | None = None,
    ) -> dict[str, Any]:
        self.users[discord_id] = {
            "id": discord_id,
            "username": username,
            "global_name": global_name,
            "avatar": avatar,
            "discriminator": "0",
            "email": email,
            "verified": email is not None,
        }
        return self.users[discord_id]

    def issue_code(self, discord_id: str, redirect_uri: str) -> str:
        code = secrets.token_urlsafe(16)
        self.codes[code] = (discord_id, redirect_uri)
        return code

    def issue_token(self, discord_id: str, *, application_id: str = CLIENT_ID) -> str:
        token = secrets.token_urlsafe(24)
        self.tokens[token] = discord_id
        self.token_apps[token] = application_id
        return token


def _handler(fake: FakeDiscord) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def _misbehave(self) -> bool:
            if fake.failure == "5xx":
                self.send_response(502)
                self.send_header("Content-Length", "11")
                self.end_headers()
                self.wfile.write(b"Bad Gateway")
                return True
            if fake.failure == "429":
                self._json(429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False})
                return True
            if fake.failure == "garbage":
                raw = b"<html>oops</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return True
            return False

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/api/oauth2/authorize":
                fake.authorize_requests.append(query)
                redirect = query.get("redirect_uri", "")
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code" or not redirect:
                    return self._json(400, {"error": "invalid_request"})
                if "identify" not in query.get("scope", "").split():
                    return self._json(400, {"error": "invalid_scope"})
                if fake.current_user is None:
                    target = {"error": "access_denied", "state": query.get("state", "")}
                else:
                    target = {"code": fake.issue_code(fake.current_user, redirect), "state": query.get("state", "")}
                self.send_response(302)
                self.send_header("Location", f"{redirect}?{urlencode(target)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if parts.path == "/api/users/@me":
                if self._misbehave():
                    return None
                auth = self.headers.get("Authorization", "")
                discord_id = fake.tokens.get(auth.removeprefix("Bearer "))
                if not auth.startswith("Bearer ") or discord_id is None:
                    return self._json(401, {"message": "401: Unauthorized", "code": 0})
                return self._json(200, fake.users[discord_id])
            if parts.path == "/api/oauth2/@me":  # the current authorization: which app, which user
                if self._misbehave():
                    return None
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in fake.tokens:
                    return self._json(401, {"message": "401: Unauthorized", "code": 0})
                return self._json(
                    200,
                    {
                        "application": {"id": fake.token_apps[token], "name": "an app"},
                        "scopes": ["identify", "email"],
                        "expires": "2030-01-01T00:00:00+00:00",
                        "user": fake.users[fake.tokens[token]],
                    },
                )
            return self._json(404, {"message": "404: Not Found", "code": 0})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/api/oauth2/token":
                return self._json(404, {"message": "404: Not Found", "code": 0})
            if self._misbehave():
                return None
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._json(401, {"error": "invalid_client"})
            issued = fake.codes.pop(form.get("code", ""), None)
            if (
                form.get("grant_type") != "authorization_code"
                or issued is None
                or issued[1] != form.get("redirect_uri")
            ):
                return self._json(400, {"error": "invalid_grant", "error_description": 'Invalid "code" in request.'})
            token = fake.issue_token(issued[0])
            return self._json(
                200,
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 604800,
                    "refresh_token": secrets.token_urlsafe(16),
                    "scope": "identify email",
                },
            )

    return Handler


@pytest.fixture
def discord(settings: Any) -> Iterator[FakeDiscord]:
    """A running stand-in Discord; DISCORD_API_URL and the client credentials point at it."""
    fake = FakeDiscord()
    fake.thread.start()
    settings.DISCORD_API_URL = fake.url
    settings.DISCORD_CLIENT_ID = CLIENT_ID
    settings.DISCORD_CLIENT_SECRET = CLIENT_SECRET
    settings.SOCIALACCOUNT_PROVIDERS = {
        "discord": {
            "SCOPE": ["identify", "email"],
            "APPS": [{"client_id": CLIENT_ID, "secret": CLIENT_SECRET, "key": ""}],
        }
    }
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL where nothing listens (Discord unreachable)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


@pytest.fixture(autouse=True)
def _fresh_local_cache() -> None:
    """Throttle counters and used refresh tokens start empty (LocMem only: Redis is flushed by
    the root conftest for the test key prefix)."""
    backend = caches["default"]
    if isinstance(backend, LocMemCache):
        backend.clear()


@pytest.fixture
def make_key(db: None):  # type: ignore[no-untyped-def]
    """make_key(scopes, revoked=False) -> (ServiceAPIKey, raw key)."""

    def make(scopes: list[str], *, revoked: bool = False, name: str = "bot") -> tuple[ServiceAPIKey, str]:
        api_key, raw = ServiceAPIKey.objects.create_key(name=name, scopes=scopes)
        if revoked:
            api_key.revoked = True
            api_key.save(update_fields=["revoked"])
        return api_key, raw

    return make


@pytest.fixture
def bot_headers(make_key) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, raw = make_key(["xp:write", "profile:read"])
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw}"}


@pytest.fixture
def frontend() -> Iterator[str]:
    """A tiny web app on loopback: its page asks the API who is signed in (CORS, credentials)."""
    page = b"""<!doctype html><html><body><p id="who">checking</p><script>
const api = new URLSearchParams(location.search).get('api');
fetch(api + '/api/v1/auth/session/', {credentials: 'include'})
  .then(r => r.json().then(b => ({status: r.status, body: b})))
  .then(({status, body}) => { document.getElementById('who').textContent =
      status === 200 ? 'signed in as ' + body.user.display_name : 'signed out ' + body.code; })
  .catch(e => { document.getElementById('who').textContent = 'error ' + e; });
</script></body></html>"""

    class Page(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
