"""Announcements from domain events: which servers hear what, the embeds, and how Discord's
rate limits and failures are retried by the Discord pump (the outbox, community/discord_pump.py;
tests/discord/test_discord_pump.py for routes, batches and workers)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from procrastinate.contrib.django.models import ProcrastinateJob

from community.events import handle_event
from community.models import AnnouncementChannel, DiscordMessage, DiscordRateLimit, GuildMember
from core.services.xp import award_xp
from core.utils.dates import utc_now
from tests.discord.conftest import BOT_TOKEN, CHANNEL_ID, GUILD_ID
from tests.jobs import run_pending_jobs
from users.tests.factories import PlayerFactory
from xp.models import ActivityType

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK_ID, WEBHOOK_TOKEN = "800000000000000001", "w" * 68
OTHER_GUILD = "300000000000000002"


@dataclass
class Event:
    """The shape of a domain event (issue 10): what DOMAIN_EVENT_CONSUMERS receive."""

    type: str
    user_id: int | None
    data: dict[str, Any]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: datetime = field(default_factory=utc_now)


def event_for(user, kind, **facts):
    return Event(
        kind,
        user.pk,
        {"user": {"id": user.pk, "discord_id": user.discord_id, "display_name": user.public_name}, **facts},
    )


@pytest.fixture
def player(db):
    user = PlayerFactory(discord_id="111111111111111111", display_name="Alice")
    GuildMember.objects.create(guild_id=GUILD_ID, user=user)
    return user


@pytest.fixture
def channel(db):
    return AnnouncementChannel.objects.create(guild_id=GUILD_ID, name="Runners", channel_id=CHANNEL_ID)


def posted(discord):
    return discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")


def test_the_name_comes_from_the_account_when_the_data_has_none(discord, player, channel):
    handle_event(Event("level_up", player.pk, {"from": 1, "to": 2, "mode": "reality"}))
    run_pending_jobs()
    [message] = posted(discord)
    assert message.body["embeds"][0]["description"] == "**Alice** reached level **2**."


def test_level_up_is_posted_to_the_channel_with_the_bot_token(discord, player, channel):
    from ultrabackend.observability.metrics import DISCORD_CALLS

    counted = DISCORD_CALLS.labels("POST /channels/{id}/messages", "200")
    before = counted._value.get()
    handle_event(event_for(player, "level_up", **{"from": 4, "to": 5, "mode": "reality", "season": "2026-12"}))
    run_pending_jobs()
    [message] = posted(discord)
    assert counted._value.get() == before + 1  # igo_discord_requests_total, ids folded into {id}
    assert message.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert message.body["embeds"] == [
        {"title": "Level up!", "description": "**Alice** reached level **5**.", "color": 0xF1C40F}
    ]
    assert message.body["allowed_mentions"] == {"parse": []}


def test_layer_up_and_promotion_are_announced_demotion_is_not(discord, player, channel):
    handle_event(event_for(player, "layer_up", **{"from": "RL0", "to": "RL1", "mode": "reality"}))
    handle_event(event_for(player, "league_changed", **{"from": "bronze", "to": "silver", "mode": "cyber"}))
    handle_event(event_for(player, "league_changed", **{"from": "silver", "to": "bronze", "mode": "cyber"}))
    handle_event(event_for(player, "xp_awarded", xp=10))
    run_pending_jobs()
    texts = [m.body["embeds"][0]["description"] for m in posted(discord)]
    assert sorted(texts) == sorted(
        ["**Alice** entered **RL1 Emotion**.", "**Alice** moved up to the **Silver** cyber league."]
    )


def test_only_servers_where_the_player_was_seen_unless_they_announce_everyone(discord, player, channel):
    AnnouncementChannel.objects.create(
        guild_id=OTHER_GUILD, webhook_url=f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
    )
    stranger = PlayerFactory(discord_id="222222222222222222", display_name="Bob")
    handle_event(event_for(stranger, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    assert discord.received == []  # Bob used no command anywhere: no server hears of him

    AnnouncementChannel.objects.filter(guild_id=OTHER_GUILD).update(members_only=False)
    handle_event(event_for(stranger, "level_up", **{"from": 2, "to": 3}))
    run_pending_jobs()
    [hook] = discord.received
    assert (hook.method, hook.path) == ("POST", f"/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}")
    assert "Authorization" not in hook.headers
    assert hook.body["embeds"][0]["description"] == "**Bob** reached level **3**."


def test_channels_choose_what_they_announce(discord, player, channel):
    AnnouncementChannel.objects.filter(pk=channel.pk).update(level_ups=False)
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    AnnouncementChannel.objects.create(
        guild_id=OTHER_GUILD, channel_id="400000000000000002", is_active=False, members_only=False
    )
    handle_event(event_for(player, "layer_up", **{"from": 0, "to": 1, "mode": "cyber"}))  # orders work too
    run_pending_jobs()
    [message] = discord.received
    assert message.path == f"/api/channels/{CHANNEL_ID}/messages"
    assert "CL1 DeepNet" in message.body["embeds"][0]["description"]


def test_season_close_posts_the_top_three_of_each_mode(discord, channel):
    running = ActivityType.objects.get(key="running")
    for i, name in enumerate(["Ann", "Ben", "Cat", "Dan"]):
        award_xp(user=PlayerFactory(display_name=name), activity=running, units=Decimal(i + 1), source="admin")
    season_id = utc_now().strftime("%Y-%m")
    handle_event(Event("season_closed", None, {"season": season_id}))
    handle_event(Event("season_closed", None, {"season": season_id}))  # delivered twice: posted once
    run_pending_jobs()
    [message] = posted(discord)
    embed = message.body["embeds"][0]
    assert embed["title"] == f"Season {season_id} is over: the top 3"
    reality, cyber = embed["fields"]
    assert reality["value"].splitlines() == ["🥇 Dan — 1,200 XP", "🥈 Cat — 900 XP", "🥉 Ben — 600 XP"]
    assert cyber["value"] == "Nobody scored."


def outboxed() -> DiscordMessage:
    return DiscordMessage.objects.get()


def test_429_retry_after_from_the_body_is_honoured(discord, player, channel):
    path = f"/api/channels/{CHANNEL_ID}/messages"
    discord.fail_next(path, 429, {"message": "You are being rate limited.", "retry_after": 0.8, "global": False})
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    before = utc_now()
    run_pending_jobs()
    message = outboxed()
    assert (message.status, message.attempts, message.last_status_code) == ("pending", 1, 429)
    assert 0.7 <= (message.next_attempt_at - before).total_seconds() <= 5
    paused = DiscordRateLimit.objects.get(key=f"channel:{CHANNEL_ID}").paused_until
    assert 0.7 <= (paused - before).total_seconds() <= 5  # the channel's route waits, in the database
    run_pending_jobs()
    assert len(posted(discord)) == 1  # not before Discord's retry_after
    time.sleep(max(0.0, (message.next_attempt_at - utc_now()).total_seconds()) + 0.1)
    run_pending_jobs()
    assert len(posted(discord)) == 2
    assert outboxed().status == "sent"


def test_429_retry_after_header_is_honoured(discord, player, channel):
    discord.fail_next(
        f"/api/channels/{CHANNEL_ID}/messages", 429, {"message": "slow down"}, headers={"Retry-After": "2"}
    )
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    before = utc_now()
    run_pending_jobs()
    message = outboxed()
    assert message.status == "pending"
    assert 1.9 <= (message.next_attempt_at - before).total_seconds() <= 6


def test_5xx_is_retried_with_backoff_and_delivered(discord, player, channel):
    discord.fail_next(f"/api/channels/{CHANNEL_ID}/messages", 502, {"message": "bad gateway"})
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    before = utc_now()
    run_pending_jobs()
    message = outboxed()
    assert (message.status, message.last_status_code) == ("pending", 502)
    assert (message.next_attempt_at - before).total_seconds() >= 1.5  # backoff: 2 s after the first failure
    DiscordMessage.objects.filter(pk=message.pk).update(next_attempt_at=utc_now())  # (no need to wait in a test)
    run_pending_jobs()
    assert len(posted(discord)) == 2
    assert outboxed().status == "sent"


def test_other_4xx_is_dropped_and_logged(discord, player, channel, caplog):
    discord.fail_next(f"/api/channels/{CHANNEL_ID}/messages", 403, {"message": "Missing Access", "code": 50001})
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    assert len(posted(discord)) == 1
    message = outboxed()
    assert (message.status, message.attempts, message.last_status_code) == ("failed", 1, 403)  # no retry
    assert "Missing Access" in caplog.text


def test_a_discord_that_times_out_is_retried(discord, player, channel, settings):
    settings.DISCORD_TIMEOUT_SECONDS = 0.2
    discord.slow[f"/api/channels/{CHANNEL_ID}/messages"] = 1.0
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    message = outboxed()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ReadTimeout" in message.last_error
    del discord.slow[f"/api/channels/{CHANNEL_ID}/messages"]
    DiscordMessage.objects.filter(pk=message.pk).update(next_attempt_at=utc_now())
    run_pending_jobs()
    assert outboxed().status == "sent"


def test_discord_unreachable_is_retried(closed_discord, player, channel):
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    assert outboxed().status == "pending"


@pytest.fixture
def closed_discord(discord, settings):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.DISCORD_API_URL = f"http://127.0.0.1:{port}/api"
    return discord


def test_a_channel_needs_exactly_one_target():
    with pytest.raises(ValidationError):
        AnnouncementChannel(guild_id=GUILD_ID).full_clean()
    with pytest.raises(ValidationError):
        AnnouncementChannel(
            guild_id=GUILD_ID, channel_id=CHANNEL_ID, webhook_url="https://discord.com/api/webhooks/1/2"
        ).full_clean()
    with pytest.raises(ValidationError):
        AnnouncementChannel(
            guild_id=GUILD_ID, webhook_url="https://evil.example/api/webhooks/800000000000000001/" + "w" * 68
        ).full_clean()
    AnnouncementChannel(
        guild_id=GUILD_ID, webhook_url=f"https://discord.com/api/webhooks/{WEBHOOK_ID}/{WEBHOOK_TOKEN}"
    ).full_clean()


def test_events_that_announce_nothing_defer_nothing(discord, player, channel):
    handle_event(event_for(player, "event_joined", event={"id": 1}))
    handle_event(Event("season_closed", None, {}))  # no season: logged, nothing sent
    handle_event(Event("level_up", None, {"from": 1, "to": 2}))  # no player
    assert not ProcrastinateJob.objects.exists()
    assert not DiscordMessage.objects.exists()


def test_a_bot_token_that_cannot_be_sent_is_dropped_not_retried(discord, player, channel, settings):
    settings.DISCORD_BOT_TOKEN = "tok\nen"
    handle_event(event_for(player, "level_up", **{"from": 1, "to": 2}))
    run_pending_jobs()
    assert posted(discord) == []
    assert outboxed().status == "failed"  # dropped and logged: a retry cannot fix it
