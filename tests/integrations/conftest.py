"""A stand-in Strava on loopback (http.server in threads) driving the real stravalib code.

It speaks what the backend uses: OAuth (/oauth/authorize auto-consents as ``current_athlete``,
/oauth/token for codes and refresh tokens, deauthorize), /athlete, /activities/{id},
/athlete/activities and /push_subscriptions, with Strava's error bodies and rate-limit headers.
``fail(kind, times)`` makes the next API answers misbehave: "429", "5xx", "slow" or "garbage";
"token-5xx" and "token-429" do the same to the OAuth token endpoint.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from rest_framework.test import APIClient

CLIENT_ID = "4242"
CLIENT_SECRET = "stand-in-strava-secret"
VERIFY_TOKEN = "verify-me-please"


class FakeStrava:
    def __init__(self) -> None:
        self.athletes: dict[int, dict[str, Any]] = {}
        self.activities: dict[int, dict[str, Any]] = {}
        self.codes: dict[str, int] = {}
        self.tokens: dict[str, tuple[int, int]] = {}  # access token -> (athlete, expires_at)
        self.refresh_tokens: dict[str, int] = {}
        self.subscriptions: dict[int, dict[str, Any]] = {}
        self.current_athlete: int | None = None  # who "is logged in at Strava" for authorize
        self.granted_scope = "read,activity:read_all"
        self.token_ttl = 6 * 3600
        self.failure: str | None = None
        self.failures_left = 0
        self.slow_seconds = 3.0
        self.rate_limit = (200, 2000)
        self.read_rate_limit = (100, 1000)
        self.usage = [0, 0]
        self.requests: list[tuple[str, str]] = []
        self._next_id = 1000
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- test helpers ---------------------------------------------------------------------
    def add_athlete(self, athlete_id: int, firstname: str = "Ann") -> dict[str, Any]:
        self.athletes[athlete_id] = {
            "id": athlete_id,
            "resource_state": 2,
            "firstname": firstname,
            "lastname": "Runner",
            "username": f"athlete{athlete_id}",
        }
        return self.athletes[athlete_id]

    def add_activity(
        self,
        athlete_id: int,
        *,
        sport_type: str | None = "Run",
        activity_type: str | None = None,
        distance: float = 10000.0,
        moving_time: int = 3000,
        manual: bool = False,
        start_date: datetime | None = None,
        name: str = "Morning Run",
    ) -> int:
        with self.lock:
            self._next_id += 1
            activity_id = self._next_id
        start = start_date or datetime.now(UTC)
        self.activities[activity_id] = {
            "id": activity_id,
            "resource_state": 3,
            "athlete": {"id": athlete_id, "resource_state": 1},
            "name": name,
            "distance": distance,
            "moving_time": moving_time,
            "elapsed_time": moving_time + 60,
            "total_elevation_gain": 12.0,
            "type": activity_type or sport_type,
            "sport_type": sport_type,
            "start_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "start_date_local": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": "(GMT+00:00) Europe/London",
            "manual": manual,
            "trainer": False,
            "commute": False,
            "private": False,
            "average_speed": round(distance / moving_time, 3) if moving_time else 0.0,
            "max_speed": 6.0,
            "map": {"id": f"a{activity_id}", "summary_polyline": "" if manual else "ki{eFvqfiV", "resource_state": 2},
        }
        if sport_type is None:
            del self.activities[activity_id]["sport_type"]
        return activity_id

    def fail(self, kind: str, times: int = 1) -> None:
        self.failure, self.failures_left = kind, times

    def revoke(self, athlete_id: int) -> None:
        """The athlete removes the app at Strava: every token of theirs stops working."""
        for token, (owner, _) in list(self.tokens.items()):
            if owner == athlete_id:
                del self.tokens[token]
        for token, owner in list(self.refresh_tokens.items()):
            if owner == athlete_id:
                del self.refresh_tokens[token]

    def api_paths(self) -> list[str]:
        return [path for _, path in self.requests if path.startswith("/api/v3")]

    def issue(self, athlete_id: int) -> dict[str, Any]:
        access, refresh = secrets.token_hex(20), secrets.token_hex(20)
        expires_at = int(time.time()) + self.token_ttl
        self.tokens[access] = (athlete_id, expires_at)
        self.refresh_tokens[refresh] = athlete_id
        return {
            "token_type": "Bearer",
            "access_token": access,
            "refresh_token": refresh,
            "expires_at": expires_at,
            "expires_in": self.token_ttl,
        }


def _error(message: str, resource: str, field: str, code: str) -> dict[str, Any]:
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


def _handler(fake: FakeStrava) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            raw = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(raw)

        def _limits(self) -> dict[str, str]:
            with fake.lock:
                fake.usage[0] += 1
                fake.usage[1] += 1
                short, daily = fake.usage
            return {
                "X-RateLimit-Limit": f"{fake.rate_limit[0]},{fake.rate_limit[1]}",
                "X-RateLimit-Usage": f"{short},{daily}",
                "X-ReadRateLimit-Limit": f"{fake.read_rate_limit[0]},{fake.read_rate_limit[1]}",
                "X-ReadRateLimit-Usage": f"{short},{daily}",
            }

        def _misbehaved(self, limits: dict[str, str]) -> bool:
            with fake.lock:
                kind = fake.failure if fake.failures_left > 0 else None
                if kind:
                    fake.failures_left -= 1
            if kind == "429":
                over = {**limits, "X-RateLimit-Usage": f"{fake.rate_limit[0] + 1},{fake.usage[1]}"}
                self._send(429, _error("Rate Limit Exceeded", "Application", "rate limit", "exceeded"), over)
                return True
            if kind == "5xx":
                self._send(503, {"message": "Service Unavailable"}, limits)
                return True
            if kind == "slow":
                time.sleep(fake.slow_seconds)
                self._send(200, {}, limits)
                return True
            if kind == "garbage":
                raw = b"<html>maintenance</html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
                return True
            return False

        def _athlete(self) -> int | None:
            auth = self.headers.get("Authorization", "")
            held = fake.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") else None
            if held is None or held[1] < time.time():
                return None
            return held[0]

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            return {k: v[0] for k, v in parse_qs(raw).items()}

        def _route(self, method: str) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
            fake.requests.append((method, path))
            form = self._form() if method in ("POST", "DELETE") else {}
            if path == "/oauth/authorize" and method == "GET":
                return self._authorize(query)
            if path == "/oauth/token" and method == "POST":
                return self._token(form)
            if path in ("/oauth/deauthorize", "/api/v3/oauth/deauthorize") and method == "POST":
                athlete = self._athlete()
                if athlete is None:
                    return self._send(401, _error("Authorization Error", "Athlete", "access_token", "invalid"))
                fake.revoke(athlete)
                return self._send(200, {"access_token": "revoked"})
            if not path.startswith("/api/v3/"):
                return self._send(404, _error("Record Not Found", "Path", "path", "invalid"))
            limits = self._limits()
            if self._misbehaved(limits):
                return None
            rest = path.removeprefix("/api/v3")
            if rest == "/push_subscriptions":
                return self._subscriptions(method, query, form, limits)
            if rest.startswith("/push_subscriptions/") and method == "DELETE":
                sub_id = int(rest.rsplit("/", 1)[1])
                if form.get("client_secret") != CLIENT_SECRET or fake.subscriptions.pop(sub_id, None) is None:
                    return self._send(404, _error("Resource Not Found", "PushSubscription", "id", "not found"), limits)
                return self._send(204, None, limits)
            athlete = self._athlete()
            if athlete is None:
                return self._send(401, _error("Authorization Error", "Athlete", "access_token", "invalid"), limits)
            if rest == "/athlete":
                return self._send(200, fake.athletes[athlete], limits)
            if rest.startswith("/activities/"):
                activity = fake.activities.get(int(rest.rsplit("/", 1)[1]))
                if activity is None or activity["athlete"]["id"] != athlete:
                    return self._send(404, _error("Record Not Found", "Activity", "id", "invalid"), limits)
                return self._send(200, activity, limits)
            if rest == "/athlete/activities":
                after = int(query.get("after", 0))
                page, per_page = int(query.get("page", 1)), int(query.get("per_page", 30))
                mine = [
                    a
                    for a in sorted(fake.activities.values(), key=lambda a: a["start_date"])
                    if a["athlete"]["id"] == athlete
                    and datetime.strptime(a["start_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() > after
                ]
                summaries = [{**a, "resource_state": 2} for a in mine]
                return self._send(200, summaries[(page - 1) * per_page : page * per_page], limits)
            return self._send(404, _error("Record Not Found", "Path", "path", "invalid"), limits)

        def _authorize(self, query: dict[str, str]) -> None:
            redirect = query.get("redirect_uri", "")
            if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code" or not redirect:
                return self._send(400, _error("Bad Request", "Application", "client_id", "invalid"))
            if fake.current_athlete is None:
                target = {"state": query.get("state", ""), "error": "access_denied"}
            else:
                code = secrets.token_hex(12)
                fake.codes[code] = fake.current_athlete
                target = {"state": query.get("state", ""), "code": code, "scope": fake.granted_scope}
            self.send_response(302)
            self.send_header("Location", f"{redirect}?{urlencode(target)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None

        def _token(self, form: dict[str, str]) -> None:
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return self._send(401, _error("Bad Request", "Application", "client_id", "invalid"))
            if fake.failure == "token-5xx" and fake.failures_left > 0:
                fake.failures_left -= 1
                return self._send(502, {"message": "Bad Gateway"})
            if fake.failure == "token-429" and fake.failures_left > 0:
                fake.failures_left -= 1
                return self._send(429, _error("Rate Limit Exceeded", "Application", "rate limit", "exceeded"))
            grant = form.get("grant_type")
            if grant == "authorization_code":
                athlete = fake.codes.pop(form.get("code", ""), None)
                if athlete is None:
                    return self._send(400, _error("Bad Request", "AuthorizationCode", "code", "invalid"))
                return self._send(200, {**fake.issue(athlete), "athlete": fake.athletes[athlete]})
            if grant == "refresh_token":
                athlete = fake.refresh_tokens.pop(form.get("refresh_token", ""), None)
                if athlete is None:
                    return self._send(400, _error("Bad Request", "RefreshToken", "refresh_token", "invalid"))
                for token, (owner, _) in list(fake.tokens.items()):  # the old access token is done
                    if owner == athlete:
                        del fake.tokens[token]
                return self._send(200, fake.issue(athlete))
            return self._send(400, _error("Bad Request", "Application", "grant_type", "invalid"))

        def _subscriptions(
            self, method: str, query: dict[str, str], form: dict[str, str], limits: dict[str, str]
        ) -> None:
            if method == "GET":
                if query.get("client_secret") != CLIENT_SECRET:
                    return self._send(401, _error("Authorization Error", "Application", "client_secret", "invalid"))
                return self._send(200, list(fake.subscriptions.values()), limits)
            if form.get("client_secret") != CLIENT_SECRET:
                return self._send(401, _error("Authorization Error", "Application", "client_secret", "invalid"))
            if fake.subscriptions:
                return self._send(400, _error("Bad Request", "PushSubscription", "callback url", "already exists"))
            callback, challenge = form.get("callback_url", ""), secrets.token_hex(8)
            try:  # Strava checks the callback before it creates the subscription
                answer = requests.get(
                    callback,
                    params={
                        "hub.mode": "subscribe",
                        "hub.verify_token": form.get("verify_token"),
                        "hub.challenge": challenge,
                    },
                    timeout=5,
                )
                verified = answer.status_code == 200 and answer.json().get("hub.challenge") == challenge
            except (requests.RequestException, ValueError):
                verified = False
            if not verified:
                return self._send(400, _error("Bad Request", "PushSubscription", "callback url", "not verifiable"))
            sub_id = len(fake.subscriptions) + 1
            fake.subscriptions[sub_id] = {
                "id": sub_id,
                "application_id": int(CLIENT_ID),
                "callback_url": callback,
                "created_at": "2026-12-01T10:00:00Z",
                "updated_at": "2026-12-01T10:00:00Z",
            }
            return self._send(201, {"id": sub_id}, limits)

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def do_DELETE(self) -> None:  # noqa: N802
            self._route("DELETE")

    return Handler


@pytest.fixture
def strava(settings: Any) -> Iterator[FakeStrava]:
    """A running stand-in Strava; every Strava setting points at it."""
    fake = FakeStrava()
    fake.thread.start()
    settings.STRAVA_API_URL = f"{fake.base}/api/v3"
    settings.STRAVA_OAUTH_URL = f"{fake.base}/oauth"
    settings.STRAVA_CLIENT_ID = CLIENT_ID
    settings.STRAVA_CLIENT_SECRET = CLIENT_SECRET
    settings.STRAVA_VERIFY_TOKEN = VERIFY_TOKEN
    settings.STRAVA_TIMEOUT_SECONDS = 1.0
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def connect(client: APIClient, fake: FakeStrava, athlete_id: int, **connect_params: str) -> Any:
    """The whole browser dance: our connect → Strava's authorize → our callback. Returns the
    callback's answer."""
    if athlete_id not in fake.athletes:
        fake.add_athlete(athlete_id)
    fake.current_athlete = athlete_id
    start = client.get("/api/v1/integrations/strava/connect/", connect_params)
    assert start.status_code == 302, start.content
    at_strava = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert at_strava.status_code == 302
    back = urlsplit(at_strava.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


@pytest.fixture
def connected(strava: FakeStrava, player: Any, player_client: APIClient) -> int:
    """``player`` linked to Strava athlete 5001 (returns the athlete id)."""
    answer = connect(player_client, strava, 5001)
    assert answer.status_code == 200, answer.content
    return 5001


def event(
    aspect: str, activity_id: int, owner_id: int, object_type: str = "activity", **updates: str
) -> dict[str, Any]:
    return {
        "aspect_type": aspect,
        "event_time": int(time.time()),
        "object_id": activity_id,
        "object_type": object_type,
        "owner_id": owner_id,
        "subscription_id": 1,
        "updates": updates,
    }
