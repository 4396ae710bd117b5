"""Completion under races, against PostgreSQL with one connection per thread: parallel awards
crossing a target at the same moment pay once; racing joins count once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from core.services.quests.participation import create_goal
from core.services.xp import award_xp
from core.utils.dates import utc_now
from events.models import DomainEvent
from quests.models import QuestParticipation
from tests.concurrency import run_at_once
from tests.quests.conftest import ADD, QUESTS
from users.tests.factories import PlayerFactory
from xp.models import UserProfile, XPEntry


@pytest.mark.django_db(transaction=True)
def test_parallel_xp_adds_crossing_the_target_at_once_pay_the_goal_once():
    player = PlayerFactory()
    clients = []
    for _ in range(10):
        client = APIClient()
        client.force_login(player)
        clients.append(client)
    goal = (
        clients[0]
        .post(
            QUESTS,
            {
                "title": "race",
                "activity": "pushups",
                "target": 100,
                "ends_at": (utc_now() + timedelta(days=1)).isoformat(),
            },
            format="json",
        )
        .json()
    )
    clients[0].post(ADD, {"activity": "pushups", "units": 90}, format="json")

    answers = run_at_once(lambda i: clients[i].post(ADD, {"activity": "pushups", "units": 10}, format="json"), count=10)

    assert {a.status_code for a in answers} == {201}
    completions = [q for a in answers for q in a.json()["quests"] if q["completed"]]
    assert len(completions) == 1 and completions[0]["id"] == goal["id"]
    rewards = XPEntry.objects.filter(user=player, idempotency_key=f"quest:{goal['id']}:{player.pk}")
    assert rewards.count() == 1
    assert rewards.get().xp == goal["reward_xp"] == 100
    profile = UserProfile.objects.get(user=player)
    assert profile.total_xp == 190 * 10 + 100
    assert profile.open_quests == 0
    assert QuestParticipation.objects.get(quest_id=goal["id"]).state == "completed"
    assert DomainEvent.objects.filter(type="quest_completed", user=player).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_awards_of_many_quests_complete_each_once_and_keep_the_open_count_exact():
    player = PlayerFactory()
    ends = utc_now() + timedelta(days=2)
    goals = [
        create_goal(user=player, title=f"g{i}", activity="pushups", target=Decimal(50 * (i + 1)), ends_at=ends)
        for i in range(3)
    ]

    run_at_once(lambda i: award_xp(user=player, activity="pushups", units=Decimal(25), source="web"), count=8)

    states = dict(QuestParticipation.objects.values_list("quest_id", "state"))
    assert states == {g.quest_id: "completed" for g in goals}  # 200 push-ups: 50, 100 and 150 reached
    assert XPEntry.objects.filter(user=player, activity__key="quest_reward_reality").count() == 3
    assert UserProfile.objects.get(user=player).open_quests == 0


@pytest.mark.django_db(transaction=True)
def test_racing_joins_of_one_player_join_once_and_count_once(manager_key_client=None):
    from core.exceptions import QuestAlreadyJoined
    from core.services.quests.participation import ChallengeSpec, create_challenge, join_challenge

    quest = create_challenge(
        ChallengeSpec(
            title="c",
            activity="pushups",
            mode=None,
            target=Decimal(10),
            starts_at=None,
            ends_at=utc_now() + timedelta(days=1),
            reward_xp=1,
        )
    )
    player = PlayerFactory()

    def join(i):
        try:
            join_challenge(user=player, quest_id=quest.pk)
            return "joined"
        except QuestAlreadyJoined:
            return "refused"

    results = run_at_once(join, count=8)
    assert sorted(results) == ["joined"] + ["refused"] * 7
    assert UserProfile.objects.get(user=player).open_quests == 1
