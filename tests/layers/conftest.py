"""Helpers for the layer tests: exact XP for a player, events with sensible defaults."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.services.xp import award_xp
from core.utils.dates import utc_now
from layers.models import Event
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory


@pytest.fixture
def activities(db):
    """One activity per mode at 1 XP per unit, so any exact XP value is one entry."""
    return {mode: ActivityTypeFactory(key=f"layer_test_{mode}", mode=mode) for mode in ("reality", "cyber")}


@pytest.fixture
def give_xp(activities):
    def give(user, mode, xp):
        return award_xp(user=user, activity=activities[mode], units=Decimal(xp), source="admin")

    return give


@pytest.fixture
def make_event(db):
    def make(**overrides):
        now = utc_now()
        fields = {
            "name": "Night run",
            "kind": Event.EVENT,
            "mode": "reality",
            "required_layer": "RL1",
            "starts_at": now + timedelta(hours=1),
            "ends_at": now + timedelta(hours=3),
            "capacity": None,
            "description": "Ten kilometres under the stars.",
        }
        fields.update(overrides)
        if fields["mode"] == "cyber" and "required_layer" not in overrides:
            fields["required_layer"] = "CL1"
        return Event.objects.create(**fields)

    return make


@pytest.fixture
def client_for(db):
    def make(user=None, **user_fields):
        user = user or PlayerFactory(**user_fields)
        client = APIClient()
        client.force_login(user)
        client.user = user
        return client

    return make
