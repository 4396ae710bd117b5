"""A held Strava import is a claim in the one review queue (issue 24): the player sees it in
GET /claims/, eligible reviewers in GET /reviews/, their votes or a moderator decide it, approval
awards once under ``claim:<id>`` and marks the import awarded, rejection marks it rejected.

Strava's events go to the webhook over HTTP, the queue runs as the worker does, and the stand-in
Strava answers stravalib."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from claims.models import Claim
from events.models import DomainEvent
from integrations.models import StravaActivity
from tests.claims.helpers import client_for, reviewer, vote
from tests.jobs import run_pending_jobs
from xp.models import XPEntry

from .conftest import FakeStrava, event
from .test_import import ATHLETE, WEBHOOK, _empty_queue, total_xp  # noqa: F401 (an autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def send(aspect: str, activity_id: int) -> None:
    answer = APIClient().post(WEBHOOK, event(aspect, activity_id, ATHLETE), format="json")
    assert answer.status_code == 200, answer.content
    run_pending_jobs()


def held_ride(strava: FakeStrava) -> int:
    ride = strava.add_activity(ATHLETE, sport_type="Ride", distance=100000.0, moving_time=1800, name="Car *ride*")
    send("create", ride)  # 200 km/h: held
    return ride


def my_claim(client: APIClient) -> dict[str, Any]:
    [claim] = client.get("/api/v1/claims/").json()["results"]
    return claim  # type: ignore[no-any-return]


def test_a_held_import_is_a_claim_the_community_sees(strava: FakeStrava, connected: int, player, player_client):
    ride = held_ride(strava)
    claim = my_claim(player_client)
    assert (claim["kind"], claim["activity"], claim["units"], claim["xp"]) == ("strava", "cycling", "100.00", 15000)
    assert (claim["state"], claim["reason"], claim["source"]) == ("pending", "implausible_speed", "strava")
    assert claim["subject"] == f"strava:{ride}:r0" and claim["note"] == "Strava: Car *ride*"
    assert DomainEvent.objects.filter(user=player, type="claim_submitted", data__kind="strava").count() == 1
    judge = reviewer()
    queue = client_for(judge).get("/api/v1/reviews/").json()["results"]
    assert [c["id"] for c in queue] == [claim["id"]]
    [shown] = player_client.get("/api/v1/integrations/strava/activities/").json()["results"]
    assert (shown["state"], shown["reason"], shown["xp"]) == ("held", "implausible_speed", 0)
    assert total_xp(player) == 0


def test_three_eligible_votes_award_a_held_import_once(strava: FakeStrava, connected: int, player, player_client):
    ride = held_ride(strava)
    claim_id = my_claim(player_client)["id"]
    judges = [reviewer() for _ in range(4)]
    answers = [vote(j, claim_id, "approve") for j in judges[:3]]
    assert [a.status_code for a in answers] == [201, 201, 201] and answers[-1].json()["decided"] is True
    assert vote(judges[3], claim_id, "approve").json()["code"] == "claim_decided"
    send("update", ride)  # Strava repeats itself: nothing changes

    [entry] = XPEntry.objects.filter(user=player)
    assert (entry.xp, entry.idempotency_key, entry.source) == (15000, f"claim:{claim_id}", "claim")
    assert total_xp(player) == 15000
    record = StravaActivity.objects.get(strava_id=ride)
    assert (record.state, record.entry_id, record.xp) == ("awarded", entry.pk, 15000)
    assert record.review_reason == "approved (implausible_speed)"
    assert my_claim(player_client)["state"] == "approved"

    del strava.activities[ride]
    send("delete", ride)  # deleted at Strava later: the approved XP is corrected away
    assert total_xp(player) == 0
    assert StravaActivity.objects.get(strava_id=ride).state == "reversed"


def test_a_rejected_held_import_awards_nothing(strava: FakeStrava, connected: int, player, player_client):
    ride = held_ride(strava)
    claim_id = my_claim(player_client)["id"]
    for judge in [reviewer() for _ in range(3)]:
        assert vote(judge, claim_id, "reject", reason="200 km/h").status_code == 201
    assert not XPEntry.objects.filter(user=player).exists()
    record = StravaActivity.objects.get(strava_id=ride)
    assert (record.state, record.xp, record.review_reason) == ("rejected", 0, "rejected by the community")
    decided = DomainEvent.objects.get(user=player, type="claim_decided")
    assert (decided.data["state"], decided.data["via"], decided.data["kind"]) == ("rejected", "community", "strava")


def test_the_strava_admin_decides_the_claim(strava: FakeStrava, connected: int, player, player_client, admin_client):
    ride = held_ride(strava)
    claim_id = my_claim(player_client)["id"]
    record = StravaActivity.objects.get(strava_id=ride)
    url = "/admin/integrations/stravaactivity/"
    answer = admin_client.post(url, {"action": "approve_activities", "_selected_action": [record.pk]})
    assert answer.status_code == 302
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.state, claim.decided_via, claim.entry.idempotency_key) == (
        "approved",
        "moderator",
        f"claim:{claim_id}",
    )
    assert total_xp(player) == 15000
    record.refresh_from_db()
    assert record.state == "awarded" and record.reviewed_by is not None
    # The claim is decided: voting on it now is refused, and approving again changes nothing.
    assert vote(reviewer(), claim_id, "approve").json()["code"] == "claim_decided"
    admin_client.post(url, {"action": "approve_activities", "_selected_action": [record.pk]})
    assert total_xp(player) == 15000 and XPEntry.objects.filter(user=player).count() == 1


def test_a_revised_held_import_withdraws_its_claim_and_is_judged_again(
    strava: FakeStrava, connected: int, player, player_client
):
    ride = held_ride(strava)
    first = my_claim(player_client)["id"]
    strava.activities[ride]["moving_time"] = 14400  # 25 km/h: plausible now
    send("update", ride)
    withdrawn = Claim.objects.get(pk=first)
    assert (withdrawn.state, withdrawn.decided_via) == ("rejected", "withdrawn")
    assert total_xp(player) == 15000  # the new revision is awarded at once
    assert vote(reviewer(), first, "approve").json()["code"] == "claim_decided"

    strava.activities[ride]["moving_time"] = 1800  # implausible again: a new claim for revision 2
    send("update", ride)
    assert total_xp(player) == 0
    pending = Claim.objects.get(state="pending")
    assert pending.subject == f"strava:{ride}:r2"


def test_erasure_withdraws_a_held_import(strava: FakeStrava, connected: int, player, player_client):
    ride = held_ride(strava)
    claim_id = my_claim(player_client)["id"]
    token = player_client.delete("/api/v1/user/").json()["confirmation_token"]
    done = player_client.delete("/api/v1/user/", {"confirmation_token": token}, format="json")
    assert done.status_code == 204
    claim = Claim.objects.get(pk=claim_id)
    assert (claim.state, claim.decided_via, claim.note) == ("rejected", "erased", "")
    record = StravaActivity.objects.get(strava_id=ride)
    assert (record.state, record.name) == ("rejected", "")
    assert not XPEntry.objects.filter(user=player).exists()


def test_an_activity_held_before_it_had_a_claim_gets_one_when_the_admin_decides(
    strava: FakeStrava, connected: int, player, player_client, admin_client
):
    ride = held_ride(strava)
    Claim.objects.all().delete()  # as held before held activities became claims
    record = StravaActivity.objects.get(strava_id=ride)
    url = "/admin/integrations/stravaactivity/"
    admin_client.post(
        url, {"action": "reject_activities", "_selected_action": [record.pk], "apply": "1", "reason": "In a car"}
    )
    claim = Claim.objects.get()
    assert (claim.kind, claim.state, claim.decided_via, claim.decision_reason) == (
        "strava",
        "rejected",
        "moderator",
        "In a car",
    )
    record.refresh_from_db()
    assert (record.state, record.review_reason) == ("rejected", "In a car")
    admin_client.post(url, {"action": "approve_activities", "_selected_action": [record.pk]})  # not held any more
    assert not XPEntry.objects.filter(user=player).exists() and Claim.objects.count() == 1
