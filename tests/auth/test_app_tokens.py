"""App tokens: Bearer access, refresh rotation, logout, and every way a token is refused."""

import time

import jwt
import pytest
from django.conf import settings as django_settings
from rest_framework.test import APIClient

from core.services.accounts import tokens
from tests.concurrency import run_at_once

REFRESH = "/api/v1/auth/token/refresh/"


@pytest.fixture
def pair(player):  # type: ignore[no-untyped-def]
    return tokens.issue_pair(player)


def bearer(token: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.django_db
def test_refresh_rotates_and_the_old_refresh_token_is_used_up(pair, player):
    response = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 200, response.content
    fresh = response.json()
    assert (
        fresh["user"]["id"] == player.pk and fresh["access"] != pair["access"] and fresh["refresh"] != pair["refresh"]
    )
    assert bearer(fresh["access"]).get("/api/v1/auth/session/").status_code == 200
    again = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert again.status_code == 401 and again.json()["code"] == "token_revoked"
    assert APIClient().post(REFRESH, {"refresh": fresh["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_logout_uses_up_the_refresh_token(pair):
    out = bearer(pair["access"]).post("/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json")
    assert out.status_code == 204
    response = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


@pytest.mark.django_db
def test_an_access_token_is_not_a_refresh_token_and_vice_versa(pair):
    response = APIClient().post(REFRESH, {"refresh": pair["access"]}, format="json")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"
    response = bearer(pair["refresh"]).get("/api/v1/auth/session/")
    assert response.status_code == 401 and response.json()["code"] == "token_invalid"


def forge(
    player_id: int, *, key: str | None = None, exp_delta: int = 60, typ: str = "access", alg: str = "HS256"
) -> str:
    now = int(time.time())
    payload = {"sub": str(player_id), "typ": typ, "jti": "x", "iat": now, "exp": now + exp_delta, "iss": "igoultra"}
    return jwt.encode(payload, key or django_settings.JWT_SIGNING_KEY, algorithm=alg)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda p: forge(p.pk, exp_delta=-5), "token_expired"),
        (lambda p: forge(p.pk, key="another-key-another-key-another-key"), "token_invalid"),
        (lambda p: "not.a.jwt", "token_invalid"),
        (lambda p: "", "token_invalid"),
        (lambda p: jwt.encode({"sub": str(p.pk), "typ": "access"}, "k" * 40, algorithm="HS256"), "token_invalid"),
        (lambda p: forge(p.pk + 10_000), "token_revoked"),
    ],
)
def test_bad_access_tokens_are_401_with_a_code(player, make, code):
    response = bearer(make(player)).get("/api/v1/user/profile/")
    assert response.status_code == 401, response.content
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_deactivating_a_player_revokes_their_tokens_at_once(pair, player):
    player.is_active = False
    player.save(update_fields=["is_active"])
    response = bearer(pair["access"]).get("/api/v1/user/profile/")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"
    refresh = APIClient().post(REFRESH, {"refresh": pair["refresh"]}, format="json")
    assert refresh.status_code == 401 and refresh.json()["code"] == "token_revoked"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"refresh": ""}, {"refresh": ["x"]}, {"refresh": "x", "extra": 1}])
def test_refresh_with_bad_body_is_400(body):
    response = APIClient().post(REFRESH, body, format="json")
    assert response.status_code == 400 and response.json()["code"]


@pytest.mark.django_db
def test_session_endpoint_says_who_is_signed_in(player_client, player):
    assert APIClient().get("/api/v1/auth/session/").status_code == 401
    assert APIClient().get("/api/v1/auth/session/").json()["code"] == "not_authenticated"
    body = player_client.get("/api/v1/auth/session/").json()
    assert body == {
        "user": {
            "id": player.pk,
            "username": player.username,
            "display_name": player.display_name,
            "avatar_url": None,
            "discord_id": None,
        },
        "method": "session",
    }


@pytest.mark.django_db
def test_session_logout_ends_the_session(player_client):
    assert player_client.post("/api/v1/auth/logout/").status_code == 204
    assert player_client.get("/api/v1/auth/session/").status_code == 401


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_of_one_token_only_one_wins(redis_server, player):
    refresh = tokens.issue_pair(player)["refresh"]
    statuses = run_at_once(lambda i: APIClient().post(REFRESH, {"refresh": refresh}, format="json").status_code, 6)
    assert sorted(statuses) == [200] + [401] * 5
