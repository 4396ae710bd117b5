import pytest
from rest_framework.test import APIClient


@pytest.mark.django_db
def test_add_xp_then_profile_history_and_board(player_client, player):
    response = player_client.post("/api/v1/xp/add/", {"activity": "running", "units": 5.3}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["awarded_xp"] == 1590
    assert body["level_up"] == {"from": 1, "to": 6}
    assert body["layer_up"] == {"mode": "reality", "from": "RL0", "to": "RL1"}
    assert player_client.get("/api/v1/user/profile/").json()["xp"]["total"] == 1590
    history = player_client.get("/api/v1/xp/history/").json()
    assert [e["xp"] for e in history["results"]] == [1590]
    board = player_client.get("/api/v1/seasons/reality/").json()
    assert board["results"][0]["rank"] == 1 and board["me"]["rank"] == 1
    assert player_client.get("/api/v1/health/").status_code == 200
    assert player_client.get("/api/v1/schema/").status_code == 200
    assert player_client.get("/api/v1/docs/").status_code == 200
    assert player_client.get("/api/v1/activities/").status_code == 200
    assert player_client.get("/api/v1/seasons/").status_code == 200


@pytest.mark.django_db
def test_the_server_root_leads_to_the_api_index_with_the_docs_link():
    client = APIClient()
    assert client.get("/")["Location"] == "/api/v1/"
    index = client.get("/api/v1/").json()
    assert index["docs"].endswith("/api/v1/docs/") and index["schema"].endswith("/api/v1/schema/")
    assert client.get("/api/v1/docs/").status_code == 200
