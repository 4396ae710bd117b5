"""Malformed requests at the API edge, found by black-box QA over real HTTP (gunicorn, DEBUG off).

docs/api-contract.md: "No request, however malformed, gets a 500", every error carries a JSON ``code``, and an
oversized body is 413. Each test here reproduced a bug found over HTTP, now fixed; the guards keep
what already worked working.
"""

import json

import pytest
from rest_framework.test import APIClient

from users.models import ServiceAPIKey

pytestmark = pytest.mark.django_db

ADD = "/api/v1/xp/add/"
NESTED = "[" * 5000 + "]" * 5000  # 10 KB: well under MAX_REQUEST_BODY_BYTES (16 KiB)


def no_raise(client: APIClient) -> APIClient:
    """Answer a crash with the project's 500 response instead of raising inside the test."""
    client.raise_request_exception = False
    return client


def assert_error(response, status: int, code: str | None = None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body


@pytest.fixture
def key_client(db: None) -> APIClient:
    _, raw = ServiceAPIKey.objects.create_key(name="qa-bot", scopes=["xp:write", "profile:read"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


# --- open bugs -------------------------------------------------------------------------------


def test_deeply_nested_json_body_is_a_400_for_a_player(player_client):
    response = no_raise(player_client).post(ADD, data=NESTED, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("path", ["/api/v1/auth/token/refresh/", "/api/v1/auth/discord/", "/api/v1/auth/logout/"])
def test_deeply_nested_json_body_is_a_400_for_anyone(api_client, path):
    response = no_raise(api_client).post(path, data=NESTED, content_type="application/json")
    assert_error(response, 400, "parse_error")


@pytest.mark.parametrize("value", ["\x00", "push\x00ups", "pushups\x00"])
def test_history_activity_filter_with_nul_is_a_400(player_client, value):
    response = no_raise(player_client).get("/api/v1/xp/history/", {"activity": value})
    assert_error(response, 400, "invalid_text")  # a NUL anywhere in the URL (api/text.py)


def test_options_on_swagger_ui_is_not_a_500(api_client):
    response = no_raise(api_client).options("/api/v1/docs/")
    assert response.status_code < 500, response.content[:300]


def test_multi_megabyte_body_is_413_for_a_player(player_client):
    body = json.dumps({"activity": "pushups", "units": 1, "note": "x" * 3_000_000})
    response = no_raise(player_client).post(ADD, data=body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_multi_megabyte_body_is_413_for_a_service_key(key_client):
    body = json.dumps({"activity": "pushups", "units": 1, "discord_id": "123456789012345678", "note": "x" * 3_000_000})
    response = no_raise(key_client).post(ADD, data=body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


# --- guards: malformed input that is handled today and must stay a coded 4xx ----------------------


def test_body_just_over_the_limit_is_413(player_client):
    body = json.dumps({"activity": "pushups", "units": 1, "note": "x" * 20_000})
    assert_error(player_client.post(ADD, data=body, content_type="application/json"), 413, "payload_too_large")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{", "parse_error"),
        ('{"activity": "pushups", "units": NaN}', "parse_error"),
        ('{"activity": "pushups", "units": 1e400}', None),
        ("\ufeff{}", "parse_error"),
        ("[]", None),
        ("null", None),
    ],
)
def test_malformed_json_is_a_coded_400(player_client, raw, code):
    assert_error(player_client.post(ADD, data=raw, content_type="application/json"), 400, code)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/events/abc/join/",
        "/api/v1/events/-1/join/",
        "/api/v1/events/99999999999999999999/join/",
        "/api/v1/events/%F0%9F%98%80/join/",
    ],
)
def test_weird_event_ids_are_unknown_event(player_client, path):
    assert_error(player_client.post(path), 404, "unknown_event")


def test_a_nul_in_an_event_id_is_invalid_text(player_client):
    assert_error(player_client.post("/api/v1/events/%00/join/"), 400, "invalid_text")


@pytest.mark.parametrize(
    ("discord_id", "status", "code"),
    [
        ("abc", 400, "invalid_discord_id"),
        ("\x00", 400, "invalid_text"),
        ("１２３４５６７８９０１２３４５６７８", 400, "invalid_discord_id"),  # full-width digits
        ("123456789012345678", 404, "unknown_discord_user"),
    ],
)
def test_discord_profile_path_edge_values(key_client, discord_id, status, code):
    assert_error(key_client.get(f"/api/v1/users/discord/{discord_id}/profile/"), status, code)


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"season": "2026-13"}, 400, "invalid_season"),
        ({"season": "\x00"}, 400, "invalid_text"),
        ({"season": "２０２６-１１"}, 400, "invalid_season"),
        ({"season": "1999-01"}, 404, "unknown_season"),
        ({"page": "0"}, 400, "invalid_page"),
        ({"page": "99999999999999999999999"}, 400, "invalid_page"),
        ({"page_size": "abc"}, 400, "invalid_page"),
        ({"league": "\x00"}, 400, "invalid_text"),
    ],
)
def test_leaderboard_query_edge_values(api_client, query, status, code):
    assert_error(api_client.get("/api/v1/seasons/reality/", query), status, code)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer", "token_invalid"),
        ("Bearer x.y.z", "token_invalid"),
        ("Api-Key", "invalid_api_key"),
        ("Api-Key ...", "invalid_api_key"),
        ("Api-Key abc.def", "invalid_api_key"),
    ],
)
def test_garbage_authorization_is_a_coded_401(api_client, header, code):
    response = api_client.get("/api/v1/user/profile/", HTTP_AUTHORIZATION=header)
    assert_error(response, 401, code)


def test_post_without_trailing_slash_is_a_redirect_not_a_500(player_client):
    response = no_raise(player_client).post(ADD[:-1], data="{}", content_type="application/json")
    assert response.status_code == 301


@pytest.mark.parametrize("value", ["", "a" * 256, "x y"])
def test_bad_idempotency_keys_are_refused(player_client, value):
    response = player_client.post(ADD, {"activity": "pushups", "units": 1}, format="json", HTTP_IDEMPOTENCY_KEY=value)
    assert_error(response, 400, "invalid_idempotency_key")


# --- found by code review ----------------------------------------------------------------------


@pytest.mark.parametrize("page", ["\u00b2", "1" * 5000, "٣"])
def test_leaderboard_page_with_non_ascii_or_huge_digits_is_a_400(api_client, page):
    assert_error(no_raise(api_client).get("/api/v1/seasons/reality/", {"page": page}), 400, "invalid_page")


def test_a_taken_discord_username_does_not_block_that_discord_id(key_client):
    from users.tests.factories import PlayerFactory

    PlayerFactory(username="discord_11111111111111111")
    response = no_raise(key_client).post(
        ADD, {"activity": "pushups", "units": 1, "discord_id": "11111111111111111"}, format="json"
    )
    assert response.status_code == 201, response.content
    from users.models import CustomUser

    made = CustomUser.objects.get(discord_id="11111111111111111").username
    assert made.startswith("player_") and "11111111111111111" not in made  # usernames never carry Discord ids


def test_sign_in_limit_cannot_be_dodged_with_forged_forwarded_for(settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = APIClient()
    codes = [
        client.post(
            "/api/v1/auth/token/refresh/", {"refresh": "x"}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}"
        ).status_code
        for i in range(5)
    ]
    assert 429 in codes


def test_a_retry_after_the_activity_was_deactivated_still_gets_the_first_answer(player_client):
    from xp.models import ActivityType

    first = player_client.post(ADD, {"activity": "squats", "units": 10}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    ActivityType.objects.filter(key="squats").update(is_active=False)
    retry = player_client.post(ADD, {"activity": "squats", "units": 10}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert retry.status_code == 201 and retry.json()["duplicate"] is True
    assert retry.json()["entry"] == first.json()["entry"]
    fresh = player_client.post(ADD, {"activity": "squats", "units": 10}, format="json", HTTP_IDEMPOTENCY_KEY="r2")
    assert_error(fresh, 400, "inactive_activity")


def test_a_service_key_cannot_award_xp_to_a_deactivated_account(key_client):
    from users.tests.factories import PlayerFactory
    from xp.models import XPEntry

    PlayerFactory(username="gone", discord_id="22222222222222222", is_active=False)
    response = no_raise(key_client).post(
        ADD, {"activity": "pushups", "units": 1, "discord_id": "22222222222222222"}, format="json"
    )
    assert_error(response, 403, "account_disabled")
    assert XPEntry.objects.count() == 0
