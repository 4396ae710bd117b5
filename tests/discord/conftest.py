"""Fixtures for the Discord app: the stand-in Discord of tests/auth extended with the REST
endpoints the community features call, a signing key for interactions, and helpers.

The stand-in records every request it receives (``fake.received``) and can be told to fail the
next requests to a path (``fake.fail_next``): 429 with ``retry_after`` in the body or a
``Retry-After`` header, 5xx, 4xx. Channel messages honour ``nonce`` with ``enforce_nonce`` as
Discord does (the same nonce again makes no second message; ``fake.created`` lists those made).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from nacl.signing import SigningKey
from rest_framework.test import APIClient

from tests.auth.conftest import CLIENT_ID, CLIENT_SECRET, FakeDiscord, _handler

BOT_TOKEN = "stand-in-bot-token"
GUILD_ID = "300000000000000001"
CHANNEL_ID = "400000000000000001"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Failure:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class CommunityDiscord(FakeDiscord):
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.failures: dict[str, list[Failure]] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> discord id
        self.code_scopes: dict[str, str] = {}
        self.token_expiry: dict[str, float] = {}  # access token -> unix time it stops working
        self.role_connections: dict[str, dict[str, Any]] = {}  # discord id -> last PUT body
        self.expires_in = 604800
        self.slow: dict[str, float] = {}  # path -> seconds to wait before answering (timeouts)
        self.revoked: list[str] = []  # tokens revoked through /oauth2/token/revoke
        self.created: list[dict[str, Any]] = []  # channel messages made (a repeated enforced nonce makes none)
        self.nonces: dict[tuple[str, Any], dict[str, Any]] = {}  # (channel, nonce) -> the message it made
        super().__init__()
        self.server.RequestHandlerClass = _community_handler(self)

    def fail_next(
        self, path: str, status: int, body: Any = None, headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        self.failures.setdefault(path, []).extend(Failure(status, body, headers or {}) for _ in range(times))

    def requests_to(self, method: str, path_start: str) -> list[Received]:
        return [r for r in self.received if r.method == method and r.path.startswith(path_start)]

    def issue_pair(self, discord_id: str) -> dict[str, Any]:
        token = self.issue_token(discord_id)
        refresh = secrets.token_urlsafe(16)
        self.refresh_tokens[refresh] = discord_id
        self.token_expiry[token] = time.time() + self.expires_in
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": "role_connections.write identify",
        }


def _community_handler(fake: CommunityDiscord) -> type:
    base = _handler(fake)

    class Handler(base):  # type: ignore[misc,valid-type]
        def _read(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            if self.headers.get("Content-Type", "").startswith("application/json"):
                return json.loads(raw) if raw else None
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def _route(self, method: str) -> None:
            path = urlsplit(self.path).path
            body = self._read() if method != "GET" else None
            fake.received.append(Received(method, path, dict(self.headers.items()), body))
            if path in fake.slow:
                time.sleep(fake.slow[path])
            pending = fake.failures.get(path)
            if pending:
                failure = pending.pop(0)
                return self._json(failure.status, failure.body or {"message": "stand-in failure"}, failure.headers)
            return self._answer(method, path, body)

        def _bot(self) -> bool:
            return self.headers.get("Authorization") == f"Bot {BOT_TOKEN}"

        def _bearer_user(self) -> str | None:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if token not in fake.tokens or fake.token_expiry.get(token, float("inf")) < time.time():
                return None
            return fake.tokens[token]

        def _answer(self, method: str, path: str, body: Any) -> None:
            unauthorized = {"message": "401: Unauthorized", "code": 0}
            parts = path.split("/")
            if method == "POST" and path == "/api/oauth2/token":
                return self._token(body or {})
            if method == "POST" and path == "/api/oauth2/token/revoke":
                form = body or {}
                if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                    return self._json(401, {"error": "invalid_client"})
                token = form.get("token", "")
                # Revoking either token ends the whole authorisation, as at Discord.
                owner = fake.tokens.get(token) or fake.refresh_tokens.get(token)
                fake.revoked.append(token)
                for store in (fake.tokens, fake.refresh_tokens):
                    for known in [t for t, who in store.items() if who == owner]:
                        store.pop(known, None)
                return self._json(200, {})
            if method == "PUT" and path.startswith("/api/applications/"):
                if not self._bot():
                    return self._json(401, unauthorized)
                if path.endswith("/commands"):
                    return self._json(200, [{**c, "id": str(10**17 + i)} for i, c in enumerate(body)])
                return self._json(200, body)
            if method == "PATCH" and path.startswith("/api/webhooks/") and path.endswith("/messages/@original"):
                return self._json(200, {"id": "500000000000000001", **(body or {})})
            if method == "POST" and path.startswith("/api/channels/") and path.endswith("/messages"):
                if not self._bot():
                    return self._json(401, unauthorized)
                nonce = (body or {}).get("nonce")
                if (body or {}).get("enforce_nonce") and (parts[3], nonce) in fake.nonces:
                    return self._json(200, fake.nonces[(parts[3], nonce)])  # as Discord: no second message
                message = {"id": str(500000000000000002 + len(fake.created)), "channel_id": parts[3], **(body or {})}
                fake.created.append(message)
                if nonce is not None:
                    fake.nonces[(parts[3], nonce)] = message
                return self._json(200, message)
            if method == "POST" and path == "/api/users/@me/channels":  # open a DM channel
                if not self._bot():
                    return self._json(401, unauthorized)
                return self._json(200, {"id": f"7{(body or {}).get('recipient_id', '0')}", "type": 1})
            if method == "PATCH" and path.startswith("/api/channels/") and len(parts) == 6 and parts[4] == "messages":
                if not self._bot():
                    return self._json(401, unauthorized)
                return self._json(200, {"id": parts[5], "channel_id": parts[3], **(body or {})})
            if method == "POST" and path.startswith("/api/webhooks/") and len(parts) == 5:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            if method == "PUT" and path == f"/api/users/@me/applications/{CLIENT_ID}/role-connection":
                discord_id = self._bearer_user()
                if discord_id is None:
                    return self._json(401, unauthorized)
                fake.role_connections[discord_id] = body
                return self._json(200, body)
            if method == "GET":
                return base.do_GET(self)
            return self._json(404, {"message": "404: Not Found", "code": 0})

        def _token(self, form: dict[str, str]) -> None:
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._json(401, {"error": "invalid_client"})
            if form.get("grant_type") == "refresh_token":
                discord_id = fake.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if discord_id is None:
                    return self._json(400, {"error": "invalid_grant"})
                return self._json(200, fake.issue_pair(discord_id))
            issued = fake.codes.pop(form.get("code", ""), None)
            if (
                form.get("grant_type") != "authorization_code"
                or issued is None
                or issued[1] != form.get("redirect_uri")
            ):
                return self._json(400, {"error": "invalid_grant"})
            return self._json(200, fake.issue_pair(issued[0]))

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            if parts.path == "/api/oauth2/authorize":
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                fake.received.append(Received("GET", parts.path, dict(self.headers.items()), query))
                return base.do_GET(self)
            return self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_PUT(self) -> None:  # noqa: N802
            self._route("PUT")

        def do_PATCH(self) -> None:  # noqa: N802
            self._route("PATCH")

    return Handler


@pytest.fixture
def discord(settings: Any) -> Iterator[CommunityDiscord]:
    """A running stand-in Discord; every Discord setting points at it."""
    fake = CommunityDiscord()
    fake.thread.start()
    settings.DISCORD_API_URL = fake.url
    settings.DISCORD_CLIENT_ID = CLIENT_ID
    settings.DISCORD_CLIENT_SECRET = CLIENT_SECRET
    settings.DISCORD_APPLICATION_ID = ""
    settings.DISCORD_BOT_TOKEN = BOT_TOKEN
    settings.DISCORD_TIMEOUT_SECONDS = 2.0
    settings.DISCORD_LINKED_ROLES_ENABLED = True
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def signing_key(settings: Any) -> SigningKey:
    key = SigningKey.generate()
    settings.DISCORD_PUBLIC_KEY = key.verify_key.encode().hex()
    return key


def discord_user(discord_id: str, name: str = "Runner") -> dict[str, Any]:
    return {"id": discord_id, "username": name.lower(), "global_name": name, "discriminator": "0", "avatar": None}


def command(
    name: str,
    options: list[dict[str, Any]] | None = None,
    *,
    user: dict[str, Any],
    guild_id: str | None = GUILD_ID,
    interaction_id: str | None = None,
    resolved: dict[str, Any] | None = None,
    kind: int = 2,
) -> dict[str, Any]:
    data: dict[str, Any] = {"id": "600000000000000001", "name": name, "type": 1, "options": options or []}
    if resolved:
        data["resolved"] = resolved
    body: dict[str, Any] = {
        "id": interaction_id or str(700000000000000000 + secrets.randbelow(10**15)),
        "application_id": CLIENT_ID,
        "type": kind,
        "token": "itoken-" + secrets.token_urlsafe(12),
        "version": 1,
        "data": data,
    }
    if guild_id:
        body["guild_id"] = guild_id
        body["member"] = {"user": user, "roles": [], "nick": None}
    else:
        body["user"] = user
    return body


def button(custom_id: str, *, user: dict[str, Any], guild_id: str | None = GUILD_ID) -> dict[str, Any]:
    body = command("x", user=user, guild_id=guild_id, kind=3)
    body["data"] = {"custom_id": custom_id, "component_type": 2}
    body["message"] = {"id": "500000000000000009"}
    return body


class Interactions:
    """Signs and POSTs interactions as Discord does."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.client = APIClient()

    def post(
        self, payload: Any, *, raw: bytes | None = None, signature: str | None = None, timestamp: str | None = None
    ) -> Any:
        body = raw if raw is not None else json.dumps(payload).encode()
        stamp = timestamp or str(int(time.time()))
        sig = signature if signature is not None else self.key.sign(stamp.encode() + body).signature.hex()
        return self.client.generic(
            "POST",
            "/api/v1/discord/interactions/",
            body,
            content_type="application/json",
            HTTP_X_SIGNATURE_ED25519=sig,
            HTTP_X_SIGNATURE_TIMESTAMP=stamp,
        )


@pytest.fixture
def interactions(signing_key: SigningKey) -> Interactions:
    return Interactions(signing_key)


@pytest.fixture(autouse=True)
def _empty_job_queue(request: pytest.FixtureRequest) -> None:
    """Transactional tests flush Django's tables but not the task queue's: start each with none."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs CASCADE")
