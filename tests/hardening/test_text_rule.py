"""Issue 22, points 2, 3 and 9: text that is not valid UTF-8 (lone surrogates, NUL), repeated
keys and deep nesting are refused once, at the parser, with a coded 400 and nothing written,
whichever path (the xp/add hot path, the full view, the Discord dispatcher) reads the body."""

from __future__ import annotations

import json
import time

import pytest
from rest_framework.test import APIClient

from tests.discord.conftest import command, discord_user
from users.models import ServiceAPIKey
from xp.models import XPEntry

pytestmark = pytest.mark.django_db

ADD = "/api/v1/xp/add/"
SURROGATE_KEY = '{"refresh": "x", "\\ud800": 1}'  # the body: a lone surrogate as a key


def no_raise(client: APIClient) -> APIClient:
    client.raise_request_exception = False
    return client


def post_raw(client: APIClient, path: str, body: str | bytes) -> object:
    return no_raise(client).generic("POST", path, body, content_type="application/json")


def assert_code(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response.json()["code"] == code, response.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token/refresh/", SURROGATE_KEY),
        ("/api/v1/auth/token/refresh/", '{"refresh": "\\udfff"}'),
        ("/api/v1/auth/discord/", '{"client": "\\ud800", "code": "x"}'),
        ("/api/v1/auth/logout/", '{"refresh": "\\ud800"}'),
        ("/api/v1/integrations/strava/webhook/", '{"object_type": "\\ud800", "aspect_type": "create"}'),
        ("/api/v1/auth/token/refresh/", '{"refresh": "a\\u0000b"}'),
        ("/api/v1/auth/discord/", '{"access_token": "tok\\u0000"}'),
    ],
)
def test_a_lone_surrogate_or_nul_is_400_invalid_text_for_anyone(api_client, path, body):
    assert_code(post_raw(api_client, path, body), 400, "invalid_text")


def test_bytes_that_are_not_utf8_are_400_invalid_text(api_client):
    assert_code(post_raw(api_client, "/api/v1/auth/token/refresh/", b'{"refresh": "\xff\xfe"}'), 400, "invalid_text")


def test_a_nul_in_a_sign_in_form_is_400_invalid_text(api_client):
    response = no_raise(api_client).post(
        "/api/v1/auth/discord/", "next=%2F%00", content_type="application/x-www-form-urlencoded"
    )
    assert_code(response, 400, "invalid_text")


@pytest.mark.parametrize(
    "url",
    ["/api/v1/seasons/reality/?season=%00", "/api/v1/xp/history/?activity=%ff", "/api/v1/users/discord/1%002/profile/"],
)
def test_a_nul_or_non_utf8_in_the_url_is_400_invalid_text(player_client, url):
    assert_code(no_raise(player_client).get(url), 400, "invalid_text")


@pytest.mark.parametrize(
    "body",
    [
        '{"activity": "pushups", "units": 1, "mode": "\\ud800"}',
        '{"activity": "pushups", "units": 1, "\\ud800": 1}',
        '{"activity": "pushups", "units": 1, "note": "a\\u0000b"}',
        '{"activity": "push\\u0000ups", "units": 1}',
    ],
)
@pytest.mark.parametrize("lean", [True, False], ids=["hot path", "full view"])
def test_xp_add_answers_invalid_text_on_both_paths_and_writes_nothing(player_client, body, lean, monkeypatch):
    if not lean:
        monkeypatch.setattr("api.v1.xp.views.lean_answer", lambda request: None)
    assert_code(post_raw(player_client, ADD, body), 400, "invalid_text")
    assert not XPEntry.objects.exists()


def test_xp_add_invalid_text_for_a_service_key(db):
    _, raw = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])
    client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    body = '{"activity": "pushups", "units": 1, "discord_id": "123456789012345678", "note": "\\ud83d"}'
    assert_code(post_raw(client, ADD, body), 400, "invalid_text")
    assert not XPEntry.objects.exists()


@pytest.mark.parametrize("lean", [True, False], ids=["hot path", "full view"])
def test_a_repeated_key_is_400_duplicate_key_on_both_paths(player_client, lean, monkeypatch):
    if not lean:
        monkeypatch.setattr("api.v1.xp.views.lean_answer", lambda request: None)
    response = post_raw(player_client, ADD, '{"activity": "pushups", "units": 1, "units": 500}')
    assert_code(response, 400, "duplicate_key")
    assert response.json()["key"] == "units"
    assert not XPEntry.objects.exists()


def test_a_repeated_key_deep_inside_is_refused_too(api_client):
    assert_code(post_raw(api_client, "/api/v1/auth/token/refresh/", '{"a": {"b": 1, "b": 2}}'), 400, "duplicate_key")


def test_nesting_deeper_than_the_limit_is_a_parse_error(api_client):
    body = "[" * 40 + "]" * 40  # far below Python's recursion limit, above MAX_DEPTH
    assert_code(post_raw(api_client, "/api/v1/auth/token/refresh/", body), 400, "parse_error")


def test_xp_add_with_an_unknown_format_is_404_on_both_paths_and_writes_nothing(player_client, monkeypatch):
    lean = no_raise(player_client).post(f"{ADD}?format=xml", {"activity": "pushups", "units": 1}, format="json")
    assert lean.status_code == 404, lean.content[:200]
    monkeypatch.setattr("api.v1.xp.views.lean_answer", lambda request: None)
    full = no_raise(player_client).post(f"{ADD}?format=xml", {"activity": "pushups", "units": 1}, format="json")
    assert full.status_code == 404
    assert not XPEntry.objects.exists()
    assert (
        player_client.post(f"{ADD}?format=json", {"activity": "pushups", "units": 1}, format="json").status_code == 201
    )


# --- Discord interactions (signed) -------------------------------------------------------------

ALICE = "111111111111111111"


def _log(activity: str, units: object = 5, note: str | None = None) -> dict[str, object]:
    options: list[dict[str, object]] = [
        {"name": "activity", "type": 3, "value": activity},
        {"name": "units", "type": 10, "value": units},
    ]
    if note is not None:
        options.append({"name": "note", "type": 3, "value": note})
    return command("log", options, user=discord_user(ALICE))


@pytest.mark.parametrize(
    "payload",
    [
        _log("push\x00ups"),
        _log("pushups", note="a\x00b"),
        _log("pushups", note="\ud800"),
        {
            **command(
                "log", [{"name": "activity", "type": 3, "value": "pu\x00", "focused": True}], user=discord_user(ALICE)
            ),
            "type": 4,
        },
    ],
    ids=["nul activity", "nul note", "surrogate note", "nul autocomplete"],
)
def test_signed_interactions_with_bad_text_are_400_invalid_text(interactions, payload):
    raw = json.dumps(payload).encode()  # ensure_ascii: \u0000 and \ud800 escapes, as an attacker sends them
    interactions.client.raise_request_exception = False
    response = interactions.post(None, raw=raw)
    assert_code(response, 400, "invalid_text")
    assert not XPEntry.objects.exists()


def test_a_deeply_nested_signed_interaction_is_a_400(interactions):
    interactions.client.raise_request_exception = False
    deep = b'{"type": 2, "data": ' + b'{"options": [' * 3000 + b"]}" * 3000 + b"}"
    response = interactions.post(None, raw=deep)
    assert response.status_code == 400, response.content[:200]
    assert response.json()["code"] in {"invalid_interaction", "parse_error"}


@pytest.mark.parametrize("age", [-3600, -301, 301, 86400])
def test_a_signed_interaction_with_an_old_or_future_timestamp_is_refused(interactions, age):
    stamp = str(int(time.time()) - age)
    response = interactions.post({"type": 1}, timestamp=stamp)
    assert_code(response, 401, "invalid_timestamp")


def test_a_signed_interaction_with_a_fresh_timestamp_is_answered(interactions):
    assert interactions.post({"type": 1}, timestamp=str(int(time.time()) - 30)).json() == {"type": 1}
