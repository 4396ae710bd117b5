"""The webhook endpoint: Strava's subscription check, and events queued without calling Strava."""

from __future__ import annotations

import json

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from .conftest import VERIFY_TOKEN, FakeStrava, event

pytestmark = pytest.mark.django_db
URL = "/api/v1/integrations/strava/webhook/"


def test_subscription_check_echoes_the_challenge(strava: FakeStrava, api_client: APIClient):
    answer = api_client.get(
        URL,
        {
            "hub.mode": "subscribe",
            "hub.verify_token": VERIFY_TOKEN,
            "hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3",
        },
    )
    assert answer.status_code == 200
    assert answer.json() == {"hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3"}


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "abc"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "abc"},
        {"hub.challenge": "abc"},
        {},
    ],
)
def test_subscription_check_with_a_bad_token_or_mode_is_403(strava: FakeStrava, api_client: APIClient, params):
    answer = api_client.get(URL, params)
    assert answer.status_code == 403
    assert answer.json()["code"] == "strava_verify_token_invalid"


def test_subscription_check_without_a_configured_token_refuses_everyone(api_client: APIClient, settings):
    settings.STRAVA_VERIFY_TOKEN = ""
    answer = api_client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "abc"})
    assert answer.status_code == 403


def test_subscription_check_without_challenge_is_400(strava: FakeStrava, api_client: APIClient):
    answer = api_client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN})
    assert (answer.status_code, answer.json()["code"]) == (400, "strava_challenge_missing")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("[1, 2]", "application/json"),
        ('"text"', "application/json"),
        ("null", "application/json"),
        (
            json.dumps({"object_type": "club", "aspect_type": "create", "object_id": 1, "owner_id": 2}),
            "application/json",
        ),
        (
            json.dumps({"object_type": "activity", "aspect_type": "explode", "object_id": 1, "owner_id": 2}),
            "application/json",
        ),
        (
            json.dumps({"object_type": "activity", "aspect_type": "create", "object_id": "x", "owner_id": 2}),
            "application/json",
        ),
        (
            json.dumps({"object_type": "activity", "aspect_type": "create", "object_id": 10**30, "owner_id": 2}),
            "application/json",
        ),
        (
            json.dumps({"object_type": "activity", "aspect_type": "create", "object_id": -5, "owner_id": 2}),
            "application/json",
        ),
        (json.dumps({"object_type": "activity", "aspect_type": "create", "owner_id": 2}), "application/json"),
        (
            json.dumps(
                {"object_type": "athlete", "aspect_type": "update", "object_id": 2, "owner_id": 2, "updates": "no"}
            ),
            "application/json",
        ),
        ('{"object_id": NaN}', "application/json"),
        ("object_type=activity", "application/x-www-form-urlencoded"),
        ("<xml/>", "text/xml"),
    ],
)
def test_webhook_post_with_garbage_is_a_json_4xx_and_queues_nothing(api_client: APIClient, body, content_type):
    answer = api_client.generic("POST", URL, body, content_type=content_type)
    assert 400 <= answer.status_code < 500
    assert answer["Content-Type"].startswith("application/json")
    assert "code" in answer.json()
    assert not ProcrastinateJob.objects.exists()


def test_webhook_post_queues_the_event_without_calling_strava(strava: FakeStrava, api_client: APIClient):
    answer = api_client.post(URL, event("create", 123456, 5001), format="json")
    assert answer.status_code == 200
    assert answer.json() == {"status": "accepted", "queued": "sync"}
    job = ProcrastinateJob.objects.get()
    assert job.task_name == "integrations.tasks.sync_strava_activity"
    assert job.args == {"athlete_id": 5001, "activity_id": 123456}
    assert job.lock == "strava:activity:123456"
    assert strava.requests == []  # no network call inside the request


def test_a_repeated_event_while_one_waits_is_queued_once(strava: FakeStrava, api_client: APIClient):
    for _ in range(3):
        assert api_client.post(URL, event("create", 77, 5001), format="json").status_code == 200
    assert api_client.post(URL, event("update", 77, 5001, title="Evening Run"), format="json").json()["queued"] == (
        "already_queued"
    )
    assert api_client.post(URL, event("delete", 77, 5001), format="json").json()["queued"] == "delete"
    assert sorted(ProcrastinateJob.objects.values_list("task_name", flat=True)) == [
        "integrations.tasks.delete_strava_activity",
        "integrations.tasks.sync_strava_activity",
    ]


def test_athlete_events_other_than_deauthorization_queue_nothing(api_client: APIClient):
    answer = api_client.post(URL, event("update", 5001, 5001, object_type="athlete", authorized="true"), format="json")
    assert answer.json()["queued"] == "nothing"
    revoke = api_client.post(URL, event("update", 5001, 5001, object_type="athlete", authorized="false"), format="json")
    assert revoke.json()["queued"] == "deauthorize"
    assert ProcrastinateJob.objects.get().task_name == "integrations.tasks.strava_athlete_deauthorized"


def test_with_a_known_subscription_id_events_from_another_are_refused(api_client: APIClient, settings):
    settings.STRAVA_SUBSCRIPTION_ID = "120475"
    forged = api_client.post(URL, event("delete", 77, 5001), format="json")  # subscription_id 1
    assert (forged.status_code, forged.json()["code"]) == (403, "strava_unknown_subscription")
    assert not ProcrastinateJob.objects.exists()
    genuine = api_client.post(URL, {**event("delete", 77, 5001), "subscription_id": 120475}, format="json")
    assert genuine.status_code == 200
    assert ProcrastinateJob.objects.count() == 1
