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
    # Servers opt in to these two kinds (existing servers hear nothing new until they do).
    AnnouncementChannel.objects.create(
        guild_id=GUILD_ID, name="Runners", channel_id=CHANNEL_ID, achievements=True, boosts=True
    )
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


@pytest.mark.django_db(transaction=True)
def test_an_opted_in_player_gets_one_reminder_dm_hours_before_the_streak_ends(discord, monkeypatch):
    from datetime import UTC, datetime

    from rest_framework.test import APIClient

    from achievements.tasks import defer_streak_reminders
    from tests.achievements.clock import Clock

    clock = Clock(monkeypatch, datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    player = PlayerFactory(discord_id=ALICE, display_name="Alice")
    quiet = PlayerFactory(discord_id="222222222222222222")  # not opted in
    client = APIClient()
    client.force_login(player)
    response = client.patch("/api/v1/user/profile/", {"streak_reminders": True}, format="json")
    assert response.status_code == 200 and response.json()["streak_reminders"] is True
    for user in (player, quiet):
        other = APIClient()
        other.force_login(user)
        assert other.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json").status_code == 201
    clock.set(datetime(2026, 12, 2, 19, 0, tzinfo=UTC))  # 5 h before the streak ends: too early
    assert defer_streak_reminders() == 0
    clock.set(datetime(2026, 12, 2, 21, 0, tzinfo=UTC))  # 3 h before
    assert defer_streak_reminders() == 1
    assert defer_streak_reminders() == 0  # once per end
    run_pending_jobs()
    opened = discord.requests_to("POST", "/api/users/@me/channels")
    assert [r.body for r in opened] == [{"recipient_id": ALICE}]
    [message] = discord.requests_to("POST", f"/api/channels/7{ALICE}/messages")
    assert message.body["embeds"][0]["title"] == "Keep your streak"
    assert "<t:1796256000:f>" in message.body["embeds"][0]["description"]  # 2026-12-03 00:00 UTC
