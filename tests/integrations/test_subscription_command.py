"""`manage.py strava_subscription create|show|delete` against the stand-in Strava, which checks
the callback the way Strava does: a GET to our running webhook with hub.challenge."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from .conftest import FakeStrava


@pytest.fixture
def patient_strava(strava: FakeStrava, settings: Any) -> FakeStrava:
    """Strava answers the create only after our live server answered its check (the first
    request of a live server is slow)."""
    settings.STRAVA_TIMEOUT_SECONDS = 15.0
    return strava


def run(*args: str) -> str:
    out = StringIO()
    call_command("strava_subscription", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_create_show_and_delete_the_push_subscription(patient_strava: FakeStrava, live_server: Any):
    strava = patient_strava
    callback = f"{live_server.url}/api/v1/integrations/strava/webhook/"
    assert "created subscription 1" in run("create", callback)
    assert strava.subscriptions[1]["callback_url"] == callback

    shown = run("show").strip().splitlines()
    assert [json.loads(line)["id"] for line in shown] == [1]
    assert json.loads(shown[0])["callback_url"] == callback

    assert "deleted subscription 1" in run("delete")
    assert strava.subscriptions == {}
    assert run("show").strip() == "no subscription"


@pytest.mark.django_db(transaction=True)
def test_create_fails_clearly_when_strava_cannot_verify_the_callback(patient_strava: FakeStrava, live_server: Any):
    strava = patient_strava
    with pytest.raises(CommandError, match="not verifiable"):
        run("create", f"{live_server.url}/api/v1/no-webhook-here/")
    assert strava.subscriptions == {}


def test_create_needs_a_callback_url_and_a_verify_token(strava: FakeStrava, settings: Any):
    settings.STRAVA_WEBHOOK_CALLBACK_URL = ""
    with pytest.raises(CommandError, match="callback URL"):
        run("create")
    settings.STRAVA_VERIFY_TOKEN = ""
    with pytest.raises(CommandError, match="STRAVA_VERIFY_TOKEN"):
        run("create", "https://api.example.test/api/v1/integrations/strava/webhook/")


def test_commands_say_when_strava_is_not_configured(settings: Any):
    settings.STRAVA_CLIENT_ID = ""
    with pytest.raises(CommandError, match="feature_not_configured"):
        run("show")
