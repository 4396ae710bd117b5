"""Goals through the API: set, progress from the ledger in the xp/add answer, paid once,
corrections, abandoning, missed deadlines, and the rules a goal must keep."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.constants.activities import QUEST_REWARD_ACTIVITY
from core.services.quests.settle import settle_ended
from core.services.xp import correct_entry
from core.utils.dates import utc_now
from events.models import DomainEvent
from quests.models import Quest, QuestParticipation
from tests.quests.conftest import QUESTS, add_xp, iso
from xp.models import UserProfile, XPEntry

pytestmark = pytest.mark.django_db


def reward_entries(user):
    return XPEntry.objects.filter(user=user, activity__key__startswith="quest_reward_")


def test_a_goal_is_set_with_the_systems_reward_and_listed_with_progress(client_for, new_goal):
    client = client_for()
    goal = new_goal(client)  # 100 push-ups at 10 XP: worth 1000 XP, the reward is 10% of it
    assert goal["kind"] == "goal"
    assert (goal["activity"], goal["mode"], goal["target"], goal["reward_xp"]) == ("pushups", "reality", "100.00", 100)
    assert goal["joined"] is True
    assert goal["state"] == "active"
    assert goal["progress"] == {"value": "0.00", "target": "100.00", "percent": 0}

    add_xp(client, units=30)
    listed = client.get(QUESTS).json()["results"]
    assert [(q["id"], q["progress"]["value"], q["progress"]["percent"]) for q in listed] == [(goal["id"], "30.00", 30)]
    assert client.get(f"{QUESTS}{goal['id']}/").json()["progress"]["value"] == "30.00"


def test_a_goal_reached_by_xp_add_pays_once_and_the_answer_says_so(client_for, new_goal):
    client = client_for()
    goal = new_goal(client)

    first = add_xp(client, units=60)
    assert first["quests"] == [
        {
            "id": goal["id"],
            "title": "100 push-ups",
            "kind": "goal",
            "progress": {"value": "60.00", "target": "100.00", "percent": 60},
            "state": "active",
            "completed": False,
        }
    ]
    second = add_xp(client, units=50)
    assert second["quests"][0]["completed"] is True
    assert second["quests"][0]["state"] == "completed"
    assert second["quests"][0]["progress"]["percent"] == 100

    third = add_xp(client, units=50)
    assert third["quests"] == []  # a completed quest is no longer open: nothing to advance
    rewards = list(reward_entries(client.user))
    assert [(e.xp, e.idempotency_key, e.activity.key) for e in rewards] == [
        (100, f"quest:{goal['id']}:{client.user.pk}", QUEST_REWARD_ACTIVITY["reality"])
    ]
    assert UserProfile.objects.get(user=client.user).total_xp == 160 * 10 + 100
    assert UserProfile.objects.get(user=client.user).open_quests == 0
    event = DomainEvent.objects.get(type="quest_completed", user=client.user)
    assert event.data["quest"]["id"] == goal["id"] and event.data["reward_xp"] == 100
    assert client.get(f"{QUESTS}{goal['id']}/").json()["state"] == "completed"


def test_an_xp_goal_counts_every_activity_of_its_mode_but_not_the_other_mode(client_for, new_goal):
    client = client_for()
    goal = new_goal(client, activity=None, mode="cyber", target=600, title="600 cyber XP")
    assert goal["activity"] is None and goal["reward_xp"] == 60
    add_xp(client, "pushups", 100)  # reality: does not count
    add_xp(client, "coding", 60)  # 300 XP
    answer = add_xp(client, "study", 100)  # 300 XP: reached
    assert answer["quests"][0]["completed"] is True
    assert reward_entries(client.user).get().xp == 60


def test_only_entries_after_the_goal_was_set_count(client_for, new_goal):
    client = client_for()
    add_xp(client, units=90)
    goal = new_goal(client)
    answer = add_xp(client, units=20)
    assert answer["quests"][0]["progress"]["value"] == "20.00"
    assert client.get(f"{QUESTS}{goal['id']}/").json()["state"] == "active"


def test_a_correction_before_completion_takes_progress_back(client_for, new_goal, admin_user):
    client = client_for()
    goal = new_goal(client)
    counted = add_xp(client, units=60)
    correct_entry(entry=XPEntry.objects.get(pk=counted["entry"]["id"]), reason="not real", corrected_by=admin_user)

    answer = add_xp(client, units=50)  # 110 reported, 50 left after the correction
    assert answer["quests"][0]["progress"]["value"] == "50.00"
    assert answer["quests"][0]["completed"] is False
    assert not reward_entries(client.user).exists()
    assert add_xp(client, units=50)["quests"][0]["completed"] is True
    assert reward_entries(client.user).count() == 1
    assert client.get(f"{QUESTS}{goal['id']}/").json()["state"] == "completed"


def test_a_missed_deadline_fails_the_goal_and_tells_it(client_for, new_goal):
    client = client_for()
    goal = new_goal(client)
    add_xp(client, units=40)
    Quest.objects.filter(pk=goal["id"]).update(starts_at=utc_now() - timedelta(days=2), ends_at=utc_now())
    QuestParticipation.objects.filter(quest_id=goal["id"]).update(joined_at=utc_now() - timedelta(days=2))
    assert client.get(f"{QUESTS}{goal['id']}/").json()["state"] == "failed"  # derived at once

    report = settle_ended()
    assert (report.completed, report.failed) == (0, 1)
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "failed"
    assert UserProfile.objects.get(user=client.user).open_quests == 0
    event = DomainEvent.objects.get(type="quest_failed", user=client.user)
    assert (event.data["reason"], event.data["value"]) == ("deadline", "40.00")
    assert settle_ended().failed == 0  # twice is harmless
    assert add_xp(client, units=100)["quests"] == []  # no late completion
    assert not reward_entries(client.user).exists()


def test_entries_after_the_deadline_do_not_count(client_for, new_goal):
    client = client_for()
    goal = new_goal(client)
    add_xp(client, units=100 - 1)
    Quest.objects.filter(pk=goal["id"]).update(ends_at=utc_now())
    add_xp(client, units=5)
    settle_ended()
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "failed"


def test_abandoning_a_goal_pays_nothing_and_hides_it(client_for, new_goal):
    client = client_for()
    goal = new_goal(client)
    add_xp(client, units=50)
    assert client.delete(f"{QUESTS}{goal['id']}/").status_code == 204
    assert client.get(QUESTS).json()["results"] == []
    assert client.get(f"{QUESTS}{goal['id']}/").json()["code"] == "unknown_quest"
    assert add_xp(client, units=60)["quests"] == []
    assert not reward_entries(client.user).exists()
    assert client.delete(f"{QUESTS}{goal['id']}/").status_code == 409
    assert UserProfile.objects.get(user=client.user).open_quests == 0


def test_another_players_goal_is_not_found(client_for, new_goal):
    owner, other = client_for(), client_for()
    goal = new_goal(owner)
    assert other.get(f"{QUESTS}{goal['id']}/").status_code == 404
    assert other.delete(f"{QUESTS}{goal['id']}/").json()["code"] == "unknown_quest"
    assert other.post(f"{QUESTS}{goal['id']}/join/").json()["code"] == "unknown_quest"
    assert other.get(QUESTS).json()["results"] == []


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"ends_at": iso(utc_now() + timedelta(days=91))}, 400, "goal_deadline_out_of_range"),
        ({"ends_at": iso(utc_now() - timedelta(minutes=1))}, 400, "goal_deadline_out_of_range"),
        ({"reward_xp": 10_000}, 400, "not_allowed_for_goal"),
        ({"activity": "quest_reward_reality"}, 400, "activity_not_reportable"),
        ({"activity": "nope"}, 400, "unknown_activity"),
        ({"activity": None}, 400, "quest_activity_or_mode_required"),
        ({"activity": "pushups", "mode": "cyber"}, 400, "mode_mismatch"),
        ({"target": 0}, 400, "min_value"),
        ({"target": "abc"}, 400, "invalid"),
        ({"xp": 5}, 400, "unknown_field"),
        ({"kind": "challenge"}, 403, "challenge_manager_required"),
    ],
)
def test_a_bad_goal_is_refused_with_a_code_and_nothing_is_made(client_for, fields, status, code):
    client = client_for()
    body = {"title": "t", "activity": "pushups", "target": 10, "ends_at": iso(utc_now() + timedelta(days=3)), **fields}
    response = client.post(QUESTS, body, format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert not Quest.objects.exists()
    assert not UserProfile.objects.filter(user=client.user, open_quests__gt=0).exists()


def test_a_player_has_at_most_three_active_goals(client_for, new_goal):
    client = client_for()
    goals = [new_goal(client, title=f"goal {i}") for i in range(3)]
    refused = client.post(
        QUESTS,
        {"title": "4th", "activity": "pushups", "target": 5, "ends_at": iso(utc_now() + timedelta(days=1))},
        format="json",
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "too_many_goals")
    client.delete(f"{QUESTS}{goals[0]['id']}/")
    new_goal(client, title="now it fits")
    assert UserProfile.objects.get(user=client.user).open_quests == 3


def test_a_signed_out_reader_sees_open_challenges_only_and_cannot_set_a_goal(
    api_client, client_for, new_goal, new_challenge
):
    new_goal(client_for())
    challenge = new_challenge()
    listed = api_client.get(QUESTS).json()["results"]
    assert [(q["id"], q["joined"], q["progress"], q["state"]) for q in listed] == [(challenge["id"], None, None, None)]
    assert api_client.post(QUESTS, {"title": "x"}, format="json").status_code in (401, 403)


def test_units_goal_progress_is_exact_in_decimals(client_for, new_goal):
    client = client_for()
    goal = new_goal(client, activity="running", target="10.5", title="10.5 km")
    assert goal["reward_xp"] == 315  # 10.5 km x 300 = 3150 XP, 10%
    assert add_xp(client, "running", "5.25")["quests"][0]["progress"] == {
        "value": "5.25",
        "target": "10.50",
        "percent": 50,
    }
    assert add_xp(client, "running", "5.25")["quests"][0]["completed"] is True
    assert reward_entries(client.user).get().units == Decimal(315)


def test_staff_set_up_a_challenge_in_the_admin(client_for):
    from django.test import Client

    from users.tests.factories import PlayerFactory

    admin = PlayerFactory(is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    now = utc_now()
    response = browser.post(
        "/admin/quests/quest/add/",
        {
            "title": "Admin challenge",
            "description": "",
            "mode": "reality",
            "activity": "",
            "target": "500",
            "starts_at_0": now.strftime("%Y-%m-%d"),
            "starts_at_1": now.strftime("%H:%M:%S"),
            "ends_at_0": (now + timedelta(days=3)).strftime("%Y-%m-%d"),
            "ends_at_1": now.strftime("%H:%M:%S"),
            "reward_xp": "42",
            "required_layer": "",
            "event": "",
            "is_published": "on",
            "participations-TOTAL_FORMS": "0",
            "participations-INITIAL_FORMS": "0",
            "participations-MIN_NUM_FORMS": "0",
            "participations-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    quest = Quest.objects.get(title="Admin challenge")
    assert (quest.kind, quest.owner_id, quest.reward_xp) == ("challenge", None, 42)
    player = client_for()
    assert player.post(f"{QUESTS}{quest.pk}/join/").status_code == 201
    assert add_xp(player, "walking", 3)["quests"][0]["progress"]["value"] == "600.00"  # XP of the mode
