"""Proof-required quests pay only after a reviewer approves; a correction before the decision
takes the completion back; and the award path's statement budget with and without quests."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.services.xp import correct_entry
from core.utils.dates import utc_now
from events.models import DomainEvent
from quests.models import QuestParticipation
from tests.quests.conftest import ADD, QUESTS, add_xp
from tests.round_trips import RoundTrips
from users.models import ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

pytestmark = pytest.mark.django_db


def rewards(user):
    return XPEntry.objects.filter(user=user, activity__key__startswith="quest_reward_")


def decide(client, quest_id, user, verdict, reason=""):
    return client.post(
        f"{QUESTS}{quest_id}/decision/", {"user_id": user.pk, "verdict": verdict, "reason": reason}, format="json"
    )


def test_a_proof_required_goal_pays_only_after_approval_and_once(client_for, new_goal, manager):
    client = client_for()
    goal = new_goal(client, proof_required=True)
    assert goal["proof_required"] is True
    reached = add_xp(client, units=100)["quests"][0]
    assert (reached["state"], reached["completed"]) == ("pending_review", True)
    assert not rewards(client.user).exists()
    assert client.get(f"{QUESTS}{goal['id']}/").json()["state"] == "pending_review"
    assert add_xp(client, units=10)["quests"][0]["state"] == "pending_review"  # still open, not paid
    assert not rewards(client.user).exists()

    player_try = decide(client, goal["id"], client.user, "approve")
    assert (player_try.status_code, player_try.json()["code"]) == (403, "quest_reviewer_required")
    approved = decide(manager, goal["id"], client.user, "approve", "video checked")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["state"] == "completed"
    assert rewards(client.user).get().pk == approved.json()["reward_entry"]
    again = decide(manager, goal["id"], client.user, "approve")
    assert (again.status_code, again.json()["code"]) == (409, "quest_not_pending_review")
    assert rewards(client.user).count() == 1
    assert DomainEvent.objects.filter(type="quest_completed", user=client.user).count() == 1


def test_staff_reject_a_completion_and_it_fails_without_reward(client_for, new_goal):
    client = client_for()
    goal = new_goal(client, proof_required=True)
    add_xp(client, units=100)
    staff = client_for(is_staff=True)
    rejected = decide(staff, goal["id"], client.user, "reject", "no proof")
    assert rejected.json()["state"] == "failed"
    participation = QuestParticipation.objects.get(quest_id=goal["id"])
    assert (participation.reviewed_by_id, participation.review_reason) == (staff.user.pk, "no proof")
    assert not rewards(client.user).exists()
    assert DomainEvent.objects.get(type="quest_failed", user=client.user).data["reason"] == "rejected"


def test_a_correction_before_approval_takes_the_completion_back(client_for, new_goal, manager, admin_user):
    client = client_for()
    goal = new_goal(client, proof_required=True)
    first = add_xp(client, units=60)
    add_xp(client, units=40)
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "pending_review"

    correct_entry(entry=XPEntry.objects.get(pk=first["entry"]["id"]), reason="cheat", corrected_by=admin_user)

    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "active"
    refused = decide(manager, goal["id"], client.user, "approve")
    assert (refused.status_code, refused.json()["code"]) == (409, "quest_not_pending_review")
    assert not rewards(client.user).exists()
    assert add_xp(client, units=60)["quests"][0]["state"] == "pending_review"  # reached again: reviewed again


def test_a_decision_needs_the_moderation_scope(client_for, new_goal):
    client = client_for()
    goal = new_goal(client, proof_required=True)
    _, raw = ServiceAPIKey.objects.create_key(name="quests", scopes=["quests:manage"])
    response = decide(APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}"), goal["id"], client.user, "approve")
    assert (response.status_code, response.json()["code"]) == (403, "missing_scope")


# --- the statement budget of the award path ----------------------------------------------------


def _statements(trips, client, units=10):
    trips.reset()
    assert client.post(ADD, {"activity": "pushups", "units": units}, format="json").status_code == 201
    return list(trips.sql)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_award_that_touches_no_quest_is_still_one_statement(redis_server, monkeypatch, new_goal):
    trips = RoundTrips(monkeypatch)
    player = PlayerFactory()
    client = APIClient()
    client.force_login(player)
    add_xp(client, units=1)  # the session is known to this process
    assert _statements(trips, client) == ["WITH"]  # the checked write alone
    assert trips.redis == 1

    goal = new_goal(client, target=15)  # an open quest: one more statement reads its progress
    assert _statements(trips, client, units=5) == ["WITH", "SELECT"]
    add_xp(client, units=10)  # completed: nothing open any more
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "completed"
    assert _statements(trips, client) == ["WITH"]
    assert trips.redis == 1


def test_a_challenge_settles_late_when_it_was_reached_but_not_completed(client_for, new_challenge):
    """A completion that did not happen at award time (a crash between the write and the
    completion) is made by the settle job after the deadline."""
    from core.services.quests.settle import settle_ended
    from quests.models import Quest
    from xp.models import UserProfile

    challenge = new_challenge(target=100, reward_xp=9)
    client = client_for()
    client.post(f"{QUESTS}{challenge['id']}/join/")
    UserProfile.objects.filter(user=client.user).update(open_quests=0)  # as if the hook never ran
    add_xp(client, units=100)
    UserProfile.objects.filter(user=client.user).update(open_quests=1)
    Quest.objects.filter(pk=challenge["id"]).update(ends_at=utc_now())
    assert settle_ended().completed == 1
    assert rewards(client.user).get().xp == 9
    assert UserProfile.objects.get(user=client.user).open_quests == 0


def test_close_seasons_settles_quests_too(client_for, new_goal):
    from core.tasks import close_seasons
    from quests.models import Quest

    client = client_for()
    goal = new_goal(client)
    Quest.objects.filter(pk=goal["id"]).update(ends_at=utc_now())
    close_seasons(timestamp=0)
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "failed"


def test_a_decision_with_the_reward_already_paid_by_a_claim_pays_nothing_more(client_for, new_goal):
    """What the community-claim hook does: the approved claim paid the reward under its own key;
    the quest completes with that entry and pays nothing again."""
    from core.constants.activities import QUEST_REWARD_ACTIVITY
    from core.services.quests.participation import decide as decide_service
    from core.services.xp import award_xp

    client = client_for()
    goal = new_goal(client, proof_required=True)
    add_xp(client, units=100)
    claim_paid = award_xp(
        user=client.user,
        activity=QUEST_REWARD_ACTIVITY["reality"],
        units=Decimal(goal["reward_xp"]),
        source="claim",
        idempotency_key="claim:1",
        trusted=True,
    )
    participation = decide_service(
        quest_id=goal["id"], user_id=client.user.pk, approve=True, reviewer=None, paid_entry_id=claim_paid.entry.pk
    )
    assert (participation.state, participation.reward_entry_id) == ("completed", claim_paid.entry.pk)
    assert rewards(client.user).count() == 1


def test_a_proof_required_completion_is_a_community_claim_whose_approval_pays_once(client_for, new_goal):
    """The completion becomes a claim of kind quest; three eligible approvals pay the reward under
    the claim's key and complete the quest, which pays nothing a second time."""
    from tests.claims.helpers import reviewer, vote

    client = client_for()
    goal = new_goal(client, proof_required=True)
    add_xp(client, units=100)
    claim = client.get("/api/v1/claims/").json()["results"][0]
    assert (claim["kind"], claim["subject"], claim["state"], claim["reason"]) == (
        "quest",
        f"quest:{goal['id']}",
        "pending",
        "quest_proof",
    )
    assert claim["xp"] == goal["reward_xp"] and not rewards(client.user).exists()
    for _ in range(3):
        assert vote(reviewer(), claim["id"], "approve").status_code == 201
    participation = QuestParticipation.objects.get(quest_id=goal["id"], user=client.user)
    assert participation.state == "completed"
    reward = rewards(client.user).get()
    assert (reward.idempotency_key, reward.xp) == (f"claim:{claim['id']}", goal["reward_xp"])
    assert participation.reward_entry_id == reward.pk
    assert DomainEvent.objects.filter(type="quest_completed", user=client.user).count() == 1
    add_xp(client, units=10)  # the completed quest is not paid again
    assert rewards(client.user).count() == 1
