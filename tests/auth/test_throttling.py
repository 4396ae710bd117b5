"""Rate limits per player and per key: 429 with a code, retry_after and a Retry-After header,
shared across workers (a player's writes through PostgreSQL, keys and sign-ins through Redis)."""

import secrets

import pytest
from rest_framework.test import APIClient

from ultrabackend.redis import get_redis
from users.tests.factories import PlayerFactory
from xp.models import UserProfile

BODY = {"activity": "pushups", "units": 1}


@pytest.fixture
def low_rates(settings):  # type: ignore[no-untyped-def]
    rates = {"player_write": "3/min", "key_write": "2/min", "key_read": "2/min", "auth": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # Counters left by an earlier run (same primary keys on a fresh test database) must not count.
    client = get_redis()
    if client is not None:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        for key in client.scan_iter(match=f"{prefix}*throttle_*", count=1000):
            client.delete(key)


def assert_throttled(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["code"] == "throttled" and 0 < body["retry_after"] <= 60
    assert response["Retry-After"] == str(body["retry_after"])


@pytest.mark.django_db
def test_player_writes_are_limited_per_player(low_rates, player_client):
    statuses = [player_client.post("/api/v1/xp/add/", BODY, format="json") for _ in range(3)]
    assert [r.status_code for r in statuses] == [201] * 3, [r.content for r in statuses]
    assert_throttled(player_client.post("/api/v1/xp/add/", BODY, format="json"))
    # Another player is not affected; reads are not limited by the write rate.
    other = APIClient()
    other.force_login(PlayerFactory())
    assert other.post("/api/v1/xp/add/", BODY, format="json").status_code == 201
    assert player_client.get("/api/v1/user/profile/").status_code == 200


@pytest.mark.django_db
def test_key_writes_and_reads_are_limited_per_key(low_rates, make_key):
    _, first = make_key(["xp:write", "profile:read"])
    _, second = make_key(["xp:write"], name="other-bot")
    bot = APIClient(HTTP_AUTHORIZATION=f"Api-Key {first}")
    body = {**BODY, "discord_id": "600000000000000001"}
    for _ in range(2):
        assert bot.post("/api/v1/xp/add/", body, format="json").status_code == 201
    assert_throttled(bot.post("/api/v1/xp/add/", body, format="json"))
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Api-Key {second}").post("/api/v1/xp/add/", body, format="json").status_code
        == 201
    )
    for _ in range(2):
        assert bot.get("/api/v1/users/discord/600000000000000001/profile/").status_code == 200
    assert_throttled(bot.get("/api/v1/users/discord/600000000000000001/profile/"))


@pytest.mark.django_db
def test_sign_in_and_refresh_are_limited_per_address(low_rates):
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    client = APIClient(REMOTE_ADDR=address)
    for _ in range(2):
        assert client.post("/api/v1/auth/token/refresh/", {}, format="json").status_code == 400
    assert_throttled(client.post("/api/v1/auth/token/refresh/", {}, format="json"))
    assert_throttled(client.post("/api/v1/auth/discord/", {}, format="json"))
    assert (
        APIClient(REMOTE_ADDR="10.255.255.1").post("/api/v1/auth/token/refresh/", {}, format="json").status_code == 400
    )


@pytest.mark.redis
@pytest.mark.django_db
def test_a_players_write_quota_is_shared_through_postgresql_and_other_writes_count_too(low_rates, redis_server, player):
    """Two clients (as two workers would be) share one player's budget, kept on the player's
    profile row (not in Redis); a display-name change counts against the same budget."""
    clients = [APIClient(), APIClient()]
    for client in clients:
        client.force_login(player)
    statuses = [clients[i % 2].post("/api/v1/xp/add/", BODY, format="json").status_code for i in range(2)]
    statuses.append(clients[0].patch("/api/v1/user/profile/", {"display_name": "Quota"}, format="json").status_code)
    statuses.append(clients[1].post("/api/v1/xp/add/", BODY, format="json").status_code)
    assert statuses == [201, 201, 200, 429]
    assert UserProfile.objects.values_list("write_count", flat=True).get(user=player) == 4
    assert not any(b"throttle_player_write" in k for k in redis_server.scan_iter(match="*throttle*"))


@pytest.mark.django_db
def test_throttled_endpoints_tell_the_quota_in_ratelimit_headers(low_rates, player_client, make_key):
    answers = [player_client.post("/api/v1/xp/add/", BODY, format="json") for _ in range(4)]
    assert [a["RateLimit-Policy"] for a in answers] == ['"player_write";q=3;w=60'] * 4
    remaining = [a["RateLimit"].split(";")[1] for a in answers]
    assert remaining == ["r=2", "r=1", "r=0", "r=0"]
    seconds = int(answers[0]["RateLimit"].split(";t=")[1])
    assert 0 < seconds <= 60
    assert answers[-1].status_code == 429
    _, raw = make_key(["profile:read"])
    read = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}").get("/api/v1/users/discord/123456789012345678/profile/")
    assert read["RateLimit-Policy"] == '"key_read";q=2;w=60'
    assert "RateLimit" not in player_client.get("/api/v1/user/profile/")  # not throttled: no quota to tell
