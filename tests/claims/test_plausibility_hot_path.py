"""Plausibility costs the common award nothing: a plausible xp/add stays one SQL statement, an
entry that may be implausible goes to the full view, and an admin's new threshold applies at once
though a worker holds the old catalogue."""

from __future__ import annotations

import pytest

from tests.claims.helpers import ADD, client_for
from tests.round_trips import RoundTrips
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, XPEntry


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_plausible_award_is_still_one_statement_and_an_implausible_one_is_held(redis_server, monkeypatch):
    trips = RoundTrips(monkeypatch)
    client = client_for(PlayerFactory())
    # Walking (no achievement counts its units), and totals that cross no achievement's tier: an
    # award that unlocks nothing and may not be implausible is the checked write alone.
    assert client.post(ADD, {"activity": "walking", "units": 1}, format="json").status_code == 201
    trips.reset()
    response = client.post(ADD, {"activity": "walking", "units": 2}, format="json")  # below half of 30 km
    assert response.status_code == 201
    assert trips.sql == ["WITH"]  # the checked write only: no plausibility query
    trips.reset()
    held = client.post(ADD, {"activity": "running", "units": 26}, format="json")
    assert held.status_code == 202 and held.json()["status"] == "pending_review"
    assert XPEntry.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_lowered_threshold_applies_at_once_though_this_process_holds_the_old_one():
    client = client_for(PlayerFactory())
    assert client.post(ADD, {"activity": "pushups", "units": 20}, format="json").status_code == 201  # catalogue cached
    ActivityType.objects.filter(key="pushups").update(review_above=10)  # no signal, no save()
    response = client.post(ADD, {"activity": "pushups", "units": 20}, format="json")
    assert response.status_code == 202, response.content
    assert XPEntry.objects.count() == 1
