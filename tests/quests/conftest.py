"""Helpers for the quest tests: signed-in clients, a challenge manager's key, goals and
challenges made through the API."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from core.utils.dates import utc_now
from users.models import ServiceAPIKey
from users.tests.factories import PlayerFactory

QUESTS = "/api/v1/quests/"
ADD = "/api/v1/xp/add/"


def iso(dt):
    return dt.isoformat().replace("+00:00", "Z")


@pytest.fixture
def client_for(db):
    def make(user=None, **user_fields):
        user = user or PlayerFactory(**user_fields)
        client = APIClient()
        client.force_login(user)
        client.user = user
        return client

    return make


@pytest.fixture
def manager(db):
    """A service key with quests:manage (and claims:moderate for decisions)."""
    _, raw = ServiceAPIKey.objects.create_key(name="quest-master", scopes=["quests:manage", "claims:moderate"])
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}")


@pytest.fixture
def new_goal():
    def make(client, **fields):
        body = {
            "title": "100 push-ups",
            "activity": "pushups",
            "target": 100,
            "ends_at": iso(utc_now() + timedelta(days=7)),
        }
        body.update(fields)
        response = client.post(QUESTS, body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return make


@pytest.fixture
def new_challenge(manager):
    def make(**fields):
        body = {
            "title": "1000 push-ups in December",
            "activity": "pushups",
            "target": 1000,
            "ends_at": iso(utc_now() + timedelta(days=20)),
            "reward_xp": 500,
        }
        body.update(fields)
        response = manager.post(QUESTS, body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return make


def add_xp(client, activity="pushups", units=10, **headers):
    response = client.post(ADD, {"activity": activity, "units": units}, format="json", **headers)
    assert response.status_code == 201, response.json()
    return response.json()
