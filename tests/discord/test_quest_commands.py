"""Quests on Discord: /goal sets a goal, /quests lists goals and open challenges with progress
bars, /quest join joins a challenge (autocompleted), /log advances them; quest_completed is
announced."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from community.commands import COMMANDS
from core.services.quests.participation import ChallengeSpec, create_challenge
from core.utils.dates import utc_now
from quests.models import Quest, QuestParticipation
from tests.discord.conftest import command, discord_user
from users.models import CustomUser
from xp.models import XPEntry

pytestmark = pytest.mark.django_db

ALICE = "111111111111111111"


def embed(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]["embeds"][0]


def challenge(title="Run 10 km", **fields):
    spec = {
        "title": title,
        "activity": "running",
        "mode": None,
        "target": Decimal(10),
        "starts_at": None,
        "ends_at": utc_now() + timedelta(days=5),
        "reward_xp": 250,
        **fields,
    }
    return create_challenge(ChallengeSpec(**spec))


def join(quest_id):
    options = [{"type": 1, "name": "join", "options": [{"name": "challenge", "type": 4, "value": quest_id}]}]
    return command("quest", options, user=discord_user(ALICE))


def test_the_commands_are_registered():
    names = {c["name"] for c in COMMANDS}
    assert {"quests", "quest", "goal"} <= names


def test_goal_then_log_shows_the_progress_bar_and_completes(interactions):
    goal = interactions.post(
        command(
            "goal",
            [
                {"name": "activity", "type": 3, "value": "pushups"},
                {"name": "target", "type": 10, "value": 50},
                {"name": "days", "type": 4, "value": 7},
            ],
            user=discord_user(ALICE),
        )
    )
    assert embed(goal)["title"] == "Goal set"
    user = CustomUser.objects.get(discord_id=ALICE)
    quest = Quest.objects.get(owner=user)
    assert (quest.target, quest.reward_xp) == (Decimal(50), 50)

    interactions.post(
        command(
            "log",
            [{"name": "activity", "type": 3, "value": "pushups"}, {"name": "units", "type": 10, "value": 20}],
            user=discord_user(ALICE),
        )
    )
    listed = embed(interactions.post(command("quests", user=discord_user(ALICE))))
    assert "▰▰▰▰▱▱▱▱▱▱ 40% (active)" in listed["fields"][0]["value"]

    interactions.post(
        command(
            "log",
            [{"name": "activity", "type": 3, "value": "pushups"}, {"name": "units", "type": 10, "value": 30}],
            user=discord_user(ALICE),
        )
    )
    assert QuestParticipation.objects.get(quest=quest).state == "completed"
    assert XPEntry.objects.filter(user=user, idempotency_key=f"quest:{quest.pk}:{user.pk}").get().xp == 50


def test_a_goal_with_too_many_days_is_refused_in_words(interactions):
    response = interactions.post(
        command(
            "goal",
            [
                {"name": "activity", "type": 3, "value": "pushups"},
                {"name": "target", "type": 10, "value": 50},
                {"name": "days", "type": 4, "value": 400},
            ],
            user=discord_user(ALICE),
        )
    )
    assert response.json()["data"]["flags"] == 64
    assert not Quest.objects.exists()


def test_quest_join_joins_a_challenge_and_again_is_refused(interactions):
    quest = challenge()
    listed = embed(interactions.post(command("quests", user=discord_user(ALICE))))
    assert f"/quest join challenge:{quest.pk}" in listed["fields"][0]["value"]

    assert embed(interactions.post(join(quest.pk)))["title"] == "Challenge joined"
    assert QuestParticipation.objects.filter(quest=quest, user__discord_id=ALICE).exists()
    again = interactions.post(join(quest.pk))
    assert again.json()["data"]["flags"] == 64
    assert "already take part" in embed(again)["description"]


def test_a_gated_challenge_is_refused_in_words_and_makes_no_participation(interactions):
    quest = challenge(required_layer="RL2")
    response = interactions.post(join(quest.pk))
    assert "needs layer RL2 Flow" in embed(response)["description"]
    assert not QuestParticipation.objects.exists()


def test_autocomplete_offers_open_challenges_by_title(interactions):
    wanted, _other = challenge("Winter run"), challenge("Summer swim", activity="swimming")
    options = [
        {"type": 1, "name": "join", "options": [{"name": "challenge", "type": 4, "value": "wint", "focused": True}]}
    ]
    response = interactions.post(command("quest", options, user=discord_user(ALICE), kind=4))
    assert response.json() == {"type": 8, "data": {"choices": [{"name": "Winter run (reality)", "value": wanted.pk}]}}
    goal_activity = interactions.post(
        command(
            "goal",
            [{"name": "activity", "type": 3, "value": "push", "focused": True}],
            user=discord_user(ALICE),
            kind=4,
        )
    )
    assert [c["value"] for c in goal_activity.json()["data"]["choices"]] == ["pushups"]


def test_quest_completed_is_announced(settings):
    from community import embeds
    from community.events import _announcement

    assert "quest_completed" in __import__("community.events", fromlist=["handle_event"]).handle_event.event_types

    class Event:
        user_id = None
        user = None

    data = {"quest": {"kind": "challenge", "title": "Run 10 km"}, "reward_xp": 250, "user": {"display_name": "Ada"}}
    flag, body = _announcement("quest_completed", Event(), data)
    assert flag == "quests"
    assert body == embeds.quest_completed_announcement("Ada", data)
    assert body["description"] == "**Ada** completed **Run 10 km** (+250 XP)."
