"""PATCH /api/v1/user/profile/ ``public``: a hidden player shows on no public page or card."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
PROFILE = "/api/v1/user/profile/"


def signed_in(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_login(user)
    return client


def test_profile_shows_public_true_by_default(player_client):
    assert player_client.get(PROFILE).json()["public"] is True


def test_hiding_the_profile_removes_the_player_from_card_board_search_and_page(community):
    ada = community["ada"]
    client = signed_in(ada)
    anonymous = APIClient()
    assert anonymous.get(f"/api/v1/users/{ada.pk}/card.png").status_code == 200
    assert "Ada Lovelace" in anonymous.get("/community/").content.decode()

    answer = client.patch(PROFILE, {"public": False}, format="json")
    assert answer.status_code == 200 and answer.json()["public"] is False

    card = anonymous.get(f"/api/v1/users/{ada.pk}/card.png")
    assert card.status_code == 404 and card.json()["code"] == "unknown_player"
    assert "Ada" not in anonymous.get("/community/").content.decode()
    assert "Ada" not in anonymous.get("/community/", {"q": "ada"}).content.decode()
    assert anonymous.get(f"/community/players/{ada.pk}/").status_code == 404

    # Shown again: back everywhere.
    assert client.patch(PROFILE, {"public": True}, format="json").json()["public"] is True
    assert anonymous.get(f"/api/v1/users/{ada.pk}/card.png").status_code == 200
    assert "Ada Lovelace" in anonymous.get("/community/").content.decode()


@pytest.mark.parametrize("value", ["false", 0, None, "no", []])
def test_public_must_be_a_json_boolean(player_client, value):
    response = player_client.patch(PROFILE, {"public": value}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == ("null" if value is None else "invalid")
    assert body["errors"][0]["field"] == "public"


def test_patching_public_alone_keeps_the_display_name(player_client, player):
    player_client.patch(PROFILE, {"display_name": "Runner One"}, format="json")
    body = player_client.patch(PROFILE, {"public": False}, format="json").json()
    assert body["display_name"] == "Runner One" and body["public"] is False


def test_api_boards_keep_a_hidden_players_row_and_rank_without_their_identity(community):
    cyd = community["cyd"]
    rows = APIClient().get("/api/v1/seasons/reality/").json()["results"]
    assert [(r["rank"], r["user"]["display_name"]) for r in rows] == [
        (1, "Ada Lovelace"),
        (2, "Hidden player"),
        (3, "Bob Runner"),
        (4, "Dee Walker"),
    ]
    hidden = rows[1]["user"]
    assert hidden == {"id": cyd.pk, "username": f"hidden-{cyd.pk}", "display_name": "Hidden player", "avatar_url": None}
    assert rows[1]["xp"] == 250

    # The player themself still sees their own name, on the board and in "me".
    body = signed_in(cyd).get("/api/v1/seasons/reality/").json()
    assert body["results"][1]["user"]["display_name"] == "Cyd Hidden"
    assert body["me"]["rank"] == 2

    all_time = APIClient().get("/api/v1/leaderboards/all-time/reality/").json()["results"]
    assert "Hidden player" in [r["user"]["display_name"] for r in all_time]
    assert "Cyd Hidden" not in str(all_time)
    mine = signed_in(cyd).get("/api/v1/leaderboards/all-time/reality/").json()["results"]
    assert "Cyd Hidden" in str(mine)
