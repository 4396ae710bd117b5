"""Input is validated as given (issue 9): identifiers are never trimmed, season ids and page
numbers are ASCII digits with nothing after them, and every list refuses a malformed page with
the same 400 invalid_page."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from users.models import ServiceAPIKey

ACTIVITY = {"activity": "steps", "units": 100}


def _error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.json()


@pytest.mark.django_db
@pytest.mark.parametrize("activity", ["steps ", " steps", "steps\n", "steps\t", "ste ps"])
def test_activity_keys_are_not_trimmed(player_client: APIClient, activity: str) -> None:
    _error(player_client.post("/api/v1/xp/add/", {**ACTIVITY, "activity": activity}, format="json"), 400, "invalid")
    assert player_client.get("/api/v1/user/profile/").json()["xp"]["total"] == 0


@pytest.mark.django_db
def test_the_exact_activity_key_is_accepted(player_client: APIClient) -> None:
    assert player_client.post("/api/v1/xp/add/", ACTIVITY, format="json").status_code == 201


@pytest.fixture
def bot(db: None) -> APIClient:
    _, raw = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "discord_id", [" 80351110224678912", "80351110224678912\n", "80351110224678912 ", "٨٠٣٥١١١٠٢٢٤٦٧٨٩١٢"]
)
def test_discord_ids_are_not_trimmed(bot: APIClient, discord_id: str) -> None:
    response = bot.post("/api/v1/xp/add/", {**ACTIVITY, "discord_id": discord_id}, format="json")
    _error(response, 400, "invalid_discord_id")
    from users.models import CustomUser

    assert not CustomUser.objects.filter(discord_id__contains="80351110224678912").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["%2080351110224678912", "80351110224678912%0A", "٨٠٣٥١١١٠٢٢٤٦٧٨٩١٢"])
def test_discord_id_in_the_path_is_not_trimmed(bot: APIClient, path: str) -> None:
    _error(bot.get(f"/api/v1/users/discord/{path}/profile/"), 400, "invalid_discord_id")


@pytest.mark.django_db
@pytest.mark.parametrize("season", ["2026-12\n", "2026-12 ", " 2026-12", "٢٠٢٦-١٢", "2026-1٢"])
@pytest.mark.parametrize("board", ["reality", "cyber"])
def test_malformed_season_ids_are_400(api_client: APIClient, season: str, board: str) -> None:
    _error(api_client.get(f"/api/v1/seasons/{board}/", {"season": season}), 400, "invalid_season")


def test_month_bounds_refuses_a_trailing_newline() -> None:
    from core.utils.dates import month_bounds

    with pytest.raises(ValueError):
        month_bounds("2026-12\n")
    assert month_bounds("2026-12")[0].month == 12


LISTS = [
    "/api/v1/events/",
    "/api/v1/activities/",
    "/api/v1/seasons/",
    "/api/v1/seasons/reality/",
    "/api/v1/seasons/cyber/",
    "/api/v1/xp/history/",
    "/api/v1/leaderboards/all-time/reality/",
    "/api/v1/integrations/strava/activities/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("query", [{"page": "-1"}, {"page": "abc"}, {"page": "0"}, {"page": "٣"}, {"page_size": "-5"}])
def test_every_list_refuses_a_malformed_page_with_one_code(player_client: APIClient, path: str, query: Any) -> None:
    _error(player_client.get(path, query), 400, "invalid_page")


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_every_list_serves_its_first_page(player_client: APIClient, path: str) -> None:
    assert player_client.get(path, {"page": "1"}).status_code == 200


@pytest.mark.django_db
def test_a_malformed_history_cursor_is_invalid_page(player_client: APIClient) -> None:
    _error(player_client.get("/api/v1/xp/history/", {"cursor": "garbage"}), 400, "invalid_page")
