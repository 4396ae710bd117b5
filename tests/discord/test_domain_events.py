"""The Discord consumer wired to the real domain events: a /log that levels up is announced in
the server and moves the player's role connection, through the events app's jobs."""

from __future__ import annotations

import pytest

from community.models import AnnouncementChannel
from tests.discord.conftest import CHANNEL_ID, GUILD_ID, command, discord_user
from tests.discord.test_linked_roles import ROLE_PATH, link_through_discord
from tests.jobs import run_pending_jobs

pytestmark = pytest.mark.django_db(transaction=True)

ALICE = "111111111111111111"


def test_the_consumer_is_configured_by_default():
    from ultrabackend.settings import base

    assert "community.events.handle_event" in base.DOMAIN_EVENT_CONSUMERS


def test_a_level_up_from_log_is_announced_and_pushed_to_linked_roles(discord, interactions, settings):
    settings.DOMAIN_EVENT_CONSUMERS = ["community.events.handle_event"]
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    link_through_discord(discord)
    run_pending_jobs()
    assert len(discord.requests_to("PUT", ROLE_PATH)) == 1
    AnnouncementChannel.objects.create(guild_id=GUILD_ID, channel_id=CHANNEL_ID)

    payload = command(
        "log",
        [{"name": "activity", "value": "running"}, {"name": "units", "value": 5}],
        user=discord_user(ALICE, "Alice"),
    )
    assert interactions.post(payload).json()["data"]["embeds"][0]["title"] == "+1,500 XP · Running"
    interactions.post(payload)  # the same interaction again: no second award, no second event
    from procrastinate.contrib.django.models import ProcrastinateJob

    for _ in range(10):  # dispatch, the consumer's jobs, the jobs those defer (each pass runs what is ready)
        run_pending_jobs()
        if not ProcrastinateJob.objects.filter(status="todo").exists():
            break

    texts = sorted(
        m.body["embeds"][0]["description"] for m in discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")
    )
    assert texts == ["**Alice** entered **RL1 Emotion**.", "**Alice** reached level **6**."]
    pushes = discord.requests_to("PUT", ROLE_PATH)
    assert len(pushes) == 2
    assert pushes[-1].body["metadata"]["level"] == "6"
    assert pushes[-1].body["metadata"]["reality_layer"] == "1"
