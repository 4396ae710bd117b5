"""Discord: /streak, and announcements of achievements, streak milestones and boosts."""

from __future__ import annotations

import pytest

from community.events import handle_event
from community.models import AnnouncementChannel, GuildMember
from tests.discord.conftest import CHANNEL_ID, GUILD_ID, command, discord_user
from tests.discord.test_announcements import Event, event_for
from tests.jobs import run_pending_jobs
from users.tests.factories import PlayerFactory

ALICE = "111111111111111111"


@pytest.mark.django_db
def test_streak_answers_each_modes_streak(interactions):
    log = command(
        "log",
        [{"name": "activity", "type": 3, "value": "running"}, {"name": "units", "type": 10, "value": 2}],
        user=discord_user(ALICE, "Alice"),
    )
    assert interactions.post(log).status_code == 200
    response = interactions.post(command("streak", user=discord_user(ALICE, "Alice")))
    assert response.status_code == 200
    answer = response.json()["data"]["embeds"][0]
    assert answer["title"] == "Alice · streaks"
    fields = {f["name"]: f["value"] for f in answer["fields"]}
    assert fields["Reality"].startswith("1 days (longest 1) · freezes 0\nDone today · ends <t:")
    assert fields["Cyber"] == "0 days (longest 0) · freezes 0"


@pytest.mark.django_db
def test_streak_without_an_account_says_how_to_start(interactions):
    response = interactions.post(command("streak", user=discord_user("333333333333333333", "Nobody")))
    assert "/log" in response.json()["data"]["embeds"][0]["description"]


@pytest.mark.django_db(transaction=True)
def test_achievements_milestones_and_boosts_are_announced(discord):
    player = PlayerFactory(discord_id=ALICE, display_name="Alice")
    GuildMember.objects.create(guild_id=GUILD_ID, user=player)
    AnnouncementChannel.objects.create(guild_id=GUILD_ID, name="Runners", channel_id=CHANNEL_ID)
    handle_event(event_for(player, "achievement_unlocked", achievement="level_5", tier="bronze", name="Level 5"))
    handle_event(event_for(player, "streak_milestone", mode="reality", days=30))
    handle_event(
        Event(
            "boost_started",
            None,
            {
                "name": "Weekend run",
                "multiplier": "2.000",
                "activity": "running",
                "ends_at": "2026-12-07T00:00:00+00:00",
            },
        )
    )
    run_pending_jobs()
    texts = sorted(
        m.body["embeds"][0]["description"] for m in discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")
    )
    assert texts == sorted(
        [
            "**Alice** unlocked **Level 5** (bronze).",
            "**Alice** kept a reality streak for **30 days**.",
            "x2.000 XP for running until <t:1796601600:f> (<t:1796601600:R>).",
        ]
    )
    AnnouncementChannel.objects.update(achievements=False, boosts=False)
    handle_event(event_for(player, "achievement_unlocked", achievement="level_10", tier="bronze", name="Level 10"))
    run_pending_jobs()
    assert len(discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")) == 3
