"""Challenges through the API: set up by a quests:manage key or staff, joined and left, gated by
layer like events, carried by an event, and a board of 50 players."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.constants.layers import BY_CODE
from core.services.quests.participation import join_challenge
from core.services.xp import award_xp
from core.utils.dates import utc_now
from layers.models import Event, EventParticipation
from quests.models import QuestParticipation
from tests.quests.conftest import QUESTS, add_xp, iso
from users.models import ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, UserProfile, XPEntry

pytestmark = pytest.mark.django_db


def test_a_key_with_quests_manage_sets_up_a_challenge_and_players_join_it(client_for, new_challenge):
    challenge = new_challenge()
    assert (challenge["kind"], challenge["reward_xp"], challenge["joined"], challenge["required_layer"]) == (
        "challenge",
        500,
        None,
        None,
    )
    client = client_for()
    listed = client.get(QUESTS).json()["results"]
    assert [(q["id"], q["joined"], q["state"]) for q in listed] == [(challenge["id"], False, None)]

    joined = client.post(f"{QUESTS}{challenge['id']}/join/")
    assert joined.status_code == 201
    assert (joined.json()["joined"], joined.json()["state"], joined.json()["progress"]["value"]) == (
        True,
        "active",
        "0.00",
    )
    again = client.post(f"{QUESTS}{challenge['id']}/join/")
    assert (again.status_code, again.json()["code"]) == (409, "quest_already_joined")

    ActivityType.objects.filter(key="pushups").update(review_above=None)  # 1,000 at once: not held here
    answer = add_xp(client, units=1000)
    assert answer["quests"][0]["completed"] is True
    assert XPEntry.objects.get(user=client.user, idempotency_key=f"quest:{challenge['id']}:{client.user.pk}").xp == 500


def test_leaving_forgets_progress_and_rejoining_starts_again(client_for, new_challenge):
    challenge = new_challenge(target=100)
    client = client_for()
    client.post(f"{QUESTS}{challenge['id']}/join/")
    add_xp(client, units=60)
    left = client.post(f"{QUESTS}{challenge['id']}/leave/")
    assert (left.status_code, left.json()["joined"]) == (200, False)
    assert UserProfile.objects.get(user=client.user).open_quests == 0
    assert client.post(f"{QUESTS}{challenge['id']}/leave/").json()["code"] == "quest_not_joined"
    client.post(f"{QUESTS}{challenge['id']}/join/")
    assert add_xp(client, units=50)["quests"][0]["progress"]["value"] == "50.00"


def test_a_key_without_the_scope_and_a_player_cannot_set_up_a_challenge(client_for):
    _, raw = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])
    body = {"title": "t", "activity": "pushups", "target": 5, "ends_at": iso(utc_now() + timedelta(days=1))}
    refused = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}").post(QUESTS, body, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "missing_scope")
    player = client_for().post(QUESTS, {**body, "kind": "challenge"}, format="json")
    assert (player.status_code, player.json()["code"]) == (403, "challenge_manager_required")


def test_staff_set_up_a_challenge_and_may_still_set_goals(client_for):
    staff = client_for(is_staff=True)
    body = {"title": "t", "activity": "pushups", "target": 5, "ends_at": iso(utc_now() + timedelta(days=1))}
    assert (
        staff.post(QUESTS, {**body, "kind": "challenge", "reward_xp": 5}, format="json").json()["kind"] == "challenge"
    )
    assert staff.post(QUESTS, body, format="json").json()["kind"] == "goal"


def test_a_goal_cannot_be_joined_or_left_and_a_challenge_cannot_be_abandoned(client_for, new_goal, new_challenge):
    client = client_for()
    goal = new_goal(client)
    challenge = new_challenge()
    client.post(f"{QUESTS}{challenge['id']}/join/")
    assert client.post(f"{QUESTS}{goal['id']}/join/").json()["code"] == "quest_not_a_challenge"
    assert client.post(f"{QUESTS}{goal['id']}/leave/").json()["code"] == "quest_not_a_challenge"
    assert client.delete(f"{QUESTS}{challenge['id']}/").json()["code"] == "quest_not_a_goal"
    assert client.get(f"{QUESTS}{goal['id']}/leaderboard/").json()["code"] == "quest_not_a_challenge"
    for path in ("9999999/", "abc/join/", "99999999999999999999/leaderboard/"):
        response = client.get(f"{QUESTS}{path}") if "join" not in path else client.post(f"{QUESTS}{path}")
        assert (response.status_code, response.json()["code"]) == (404, "unknown_quest")


def test_an_ended_challenge_cannot_be_joined(client_for, new_challenge):
    from quests.models import Quest

    challenge = new_challenge()
    Quest.objects.filter(pk=challenge["id"]).update(starts_at=utc_now() - timedelta(days=2), ends_at=utc_now())
    response = client_for().post(f"{QUESTS}{challenge['id']}/join/")
    assert (response.status_code, response.json()["code"]) == (409, "quest_not_open")


@pytest.mark.parametrize(("mode", "code", "activity"), [("reality", "RL1", "pushups"), ("cyber", "CL2", "coding")])
def test_a_layer_gated_challenge_refuses_a_low_layer_with_the_events_code(
    client_for, new_challenge, mode, code, activity
):
    required = BY_CODE[code]
    challenge = new_challenge(activity=activity, required_layer=code)
    assert challenge["required_layer"] == code
    low, high = client_for(), client_for()
    award_xp(
        user=low.user, activity="quest_reward_" + mode, units=Decimal(required.min_xp - 1), source="admin", trusted=True
    )
    award_xp(
        user=high.user, activity="quest_reward_" + mode, units=Decimal(required.min_xp), source="admin", trusted=True
    )

    refused = low.post(f"{QUESTS}{challenge['id']}/join/")
    assert refused.status_code == 403
    body = refused.json()
    assert (body["code"], body["required_layer"], body["missing_xp"]) == ("layer_too_low", code, 1)
    assert not QuestParticipation.objects.filter(user=low.user).exists()
    assert high.post(f"{QUESTS}{challenge['id']}/join/").status_code == 201


def test_a_required_layer_off_the_quests_ladder_is_refused(manager):
    body = {
        "title": "t",
        "activity": "pushups",
        "target": 5,
        "ends_at": iso(utc_now() + timedelta(days=1)),
        "required_layer": "CL1",
    }
    response = manager.post(QUESTS, body, format="json")
    assert response.status_code == 400


def test_an_event_carries_a_challenge_joining_the_event_joins_it(client_for, new_challenge):
    now = utc_now()
    event = Event.objects.create(
        name="Dungeon",
        kind=Event.DUNGEON,
        mode="reality",
        required_layer="RL0",
        starts_at=now,
        ends_at=now + timedelta(days=3),
        capacity=1,
    )
    challenge = new_challenge(event=event.pk, target=50, reward_xp=70)
    assert challenge["event"] == event.pk
    first, second = client_for(), client_for()
    assert first.post(f"/api/v1/events/{event.pk}/join/").status_code == 201
    assert QuestParticipation.objects.filter(user=first.user, quest_id=challenge["id"]).exists()
    full = second.post(f"{QUESTS}{challenge['id']}/join/")  # the event's capacity applies
    assert (full.status_code, full.json()["code"]) == (409, "event_full")

    assert add_xp(first, units=50)["quests"][0]["completed"] is True
    assert XPEntry.objects.filter(user=first.user, activity__key="quest_reward_reality").get().xp == 70


def test_joining_an_event_challenge_through_the_quest_books_the_event(client_for, new_challenge):
    now = utc_now()
    event = Event.objects.create(
        name="Night run", mode="reality", required_layer="RL0", starts_at=now, ends_at=now + timedelta(days=3)
    )
    challenge = new_challenge(event=event.pk)
    client = client_for()
    assert client.post(f"{QUESTS}{challenge['id']}/join/").status_code == 201
    assert EventParticipation.objects.filter(user=client.user, event=event).exists()
    assert client.post(f"{QUESTS}{challenge['id']}/leave/").status_code == 200
    assert not EventParticipation.objects.filter(user=client.user, event=event).exists()
    assert not QuestParticipation.objects.filter(user=client.user).exists()
    assert UserProfile.objects.get(user=client.user).open_quests == 0


def test_a_challenge_with_50_players_ranks_them_by_progress_then_time(api_client, new_challenge):
    challenge = new_challenge(target=1000, reward_xp=10)
    players = [PlayerFactory() for _ in range(50)]
    for player in players:
        join_challenge(user=player, quest_id=challenge["id"])
    # player i reports (i % 10) * 10 push-ups, the higher ids first within equal progress
    for i in reversed(range(50)):
        units = (i % 10) * 10
        if units:
            award_xp(user=players[i], activity="pushups", units=Decimal(units), source="web")

    rows = api_client.get(f"{QUESTS}{challenge['id']}/leaderboard/").json()["results"]
    assert len(rows) == 50
    values = [Decimal(r["progress"]["value"]) for r in rows]
    assert values == sorted(values, reverse=True)
    assert [r["rank"] for r in rows] == list(range(1, 46)) + [46] * 5  # the five with nothing share the last rank
    top = [r["player"]["id"] for r in rows[:5]]
    assert top == [players[i].pk for i in (49, 39, 29, 19, 9)]  # 90 each: who reached it first
    assert rows[0]["progress"] == {"value": "90.00", "target": "1000.00", "percent": 9}
    assert rows[0]["reached_at"] is not None and rows[-1]["reached_at"] is None
    assert {r["state"] for r in rows} == {"active"}
