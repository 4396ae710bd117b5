"""The Discord pump (community/discord_pump.py) against the stand-in Discord over real HTTP: a 429
on one route waits on that route only while other channels' messages go out; the global limit
and the DM route; a 5xx backs off; a worker that dies mid-batch loses nothing and makes nothing
twice; two workers keep each route's order."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import timedelta

import pytest

from community import outbox
from community.discord_pump import DiscordPump, drain_now
from community.models import AnnouncementChannel, DiscordMessage, DiscordRateLimit
from core.utils.dates import utc_now
from tests.discord.conftest import CHANNEL_ID, GUILD_ID

pytestmark = pytest.mark.django_db(transaction=True)

OTHER_CHANNEL = "400000000000000002"
THIRD_CHANNEL = "400000000000000003"
ALICE, BOB = "111111111111111111", "222222222222222222"


def make_channels(*snowflakes: str) -> list[AnnouncementChannel]:
    return [
        AnnouncementChannel.objects.create(guild_id=str(int(GUILD_ID) + i), channel_id=snowflake)
        for i, snowflake in enumerate(snowflakes)
    ]


def enqueue(channels: list[AnnouncementChannel], count: int) -> None:
    for n in range(count):
        outbox.announce([c.pk for c in channels], {"title": f"news {n}"}, key=f"test:{n}")


def path(channel: str) -> str:
    return f"/api/channels/{channel}/messages"


def made_in(discord, channel: str) -> list[str]:
    """The titles of the messages the stand-in made in a channel, in the order it made them."""
    return [m["embeds"][0]["title"] for m in discord.created if m["channel_id"] == channel]


def pending(channel: AnnouncementChannel):
    return DiscordMessage.objects.filter(channel=channel, status="pending").order_by("id")


def paused_for(key: str, since) -> float:
    return (DiscordRateLimit.objects.get(key=key).paused_until - since).total_seconds()


async def _claim_and_abandon(*, send: bool) -> int:
    """A worker that leases a batch (and, with ``send``, sends it) and dies before recording."""
    pump = DiscordPump()
    async with pump._open():
        rows = await pump._claim(50)
        if send:
            await asyncio.gather(*(pump._send(row) for row in rows))
    return len(rows)


def test_a_429_on_one_channel_delays_that_channel_only(discord):
    limited, other = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    enqueue([limited, other], 3)
    discord.fail_next(path(CHANNEL_ID), 429, {"message": "You are being rate limited.", "retry_after": 1.5})
    before = utc_now()
    drain_now()
    # the other channel's three went out, one after the other, while the limited one waited
    assert made_in(discord, OTHER_CHANNEL) == ["news 0", "news 1", "news 2"]
    assert made_in(discord, CHANNEL_ID) == [] and len(discord.requests_to("POST", path(CHANNEL_ID))) == 1
    first, *rest = pending(limited)
    assert (first.attempts, first.last_status_code) == (1, 429)
    assert 1.4 <= (first.next_attempt_at - before).total_seconds() <= 4
    assert [m.attempts for m in rest] == [0, 0]  # never tried while the route waits (and in order)
    assert 1.4 <= paused_for(f"channel:{CHANNEL_ID}", before) <= 4
    assert not DiscordRateLimit.objects.filter(key=f"channel:{OTHER_CHANNEL}").exists()

    time.sleep(max(0.0, (first.next_attempt_at - utc_now()).total_seconds()) + 0.1)
    drain_now()
    assert made_in(discord, CHANNEL_ID) == ["news 0", "news 1", "news 2"]
    assert DiscordMessage.objects.exclude(status="sent").count() == 0


def test_a_global_429_pauses_every_route(discord):
    first, other = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    discord.fail_next(
        path(CHANNEL_ID), 429, {"message": "global", "retry_after": 30, "global": True}, {"X-RateLimit-Global": "true"}
    )
    enqueue([first], 1)
    before = utc_now()
    drain_now()
    assert 29 <= paused_for("global", before) <= 32
    enqueue([other], 1)
    outbox.direct_message(discord_id=ALICE, embed={"title": "dm"}, key="test:dm")
    drain_now()
    assert len(discord.received) == 1  # nothing else went to Discord
    assert DiscordMessage.objects.filter(status="pending", attempts=0).count() == 2


def test_an_emptied_bucket_pauses_its_route_without_a_429(discord):
    emptied, other = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    discord.fail_next(
        path(CHANNEL_ID),
        200,
        {"id": "500000000000000777", "channel_id": CHANNEL_ID},
        {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "20"},
    )
    enqueue([emptied, other], 2)
    before = utc_now()
    drain_now()
    assert made_in(discord, OTHER_CHANNEL) == ["news 0", "news 1"]
    assert len(discord.requests_to("POST", path(CHANNEL_ID))) == 1  # the first went; the second waits
    assert [m.attempts for m in pending(emptied)] == [0]
    assert 19 <= paused_for(f"channel:{CHANNEL_ID}", before) <= 22


def test_a_5xx_backs_off_on_its_route_while_others_go_on(discord):
    failing, other = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    discord.fail_next(path(CHANNEL_ID), 502, {"message": "bad gateway"}, times=2)
    enqueue([failing, other], 2)
    before = utc_now()
    drain_now()
    assert made_in(discord, OTHER_CHANNEL) == ["news 0", "news 1"]
    first, second = pending(failing)
    assert (first.attempts, first.last_status_code, second.attempts) == (1, 502, 0)
    assert 1.5 <= (first.next_attempt_at - before).total_seconds() <= 4  # 2 s, then 4 s, 8 s, ...
    assert not DiscordRateLimit.objects.filter(key=f"channel:{CHANNEL_ID}").exists()  # a 5xx pauses nothing

    DiscordMessage.objects.filter(pk=first.pk).update(next_attempt_at=utc_now())
    before = utc_now()
    drain_now()
    first.refresh_from_db()
    assert (first.attempts, first.status) == (2, "pending")
    assert 3.5 <= (first.next_attempt_at - before).total_seconds() <= 6
    DiscordMessage.objects.filter(pk=first.pk).update(next_attempt_at=utc_now())
    drain_now()
    assert made_in(discord, CHANNEL_ID) == ["news 0", "news 1"]


def test_a_message_is_given_up_after_its_retry_window(discord, settings):
    settings.DISCORD_RETRY_FOR_SECONDS = 1
    [channel] = make_channels(CHANNEL_ID)
    discord.fail_next(path(CHANNEL_ID), 503, times=5)
    enqueue([channel], 2)
    drain_now()
    first, second = DiscordMessage.objects.order_by("id")
    assert (first.status, first.attempts) == ("failed", 1)  # the 2 s backoff would end after the window
    assert second.status == "failed"  # the next one on the route went on (and failed the same way)


def test_a_429_on_opening_dms_pauses_the_dm_route_only(discord):
    [channel] = make_channels(CHANNEL_ID)
    discord.fail_next("/api/users/@me/channels", 429, {"message": "slow", "retry_after": 5}, times=2)
    outbox.direct_message(discord_id=ALICE, embed={"title": "dm a"}, key="test:dm:a")
    outbox.direct_message(discord_id=BOB, embed={"title": "dm b"}, key="test:dm:b")
    enqueue([channel], 2)
    before = utc_now()
    drain_now()
    assert made_in(discord, CHANNEL_ID) == ["news 0", "news 1"]
    assert DiscordMessage.objects.filter(kind="dm", status="pending").count() == 2
    assert 4.5 <= paused_for("dm", before) <= 7
    assert 1 <= len(discord.requests_to("POST", "/api/users/@me/channels")) <= 2
    DiscordRateLimit.objects.filter(key="dm").update(paused_until=utc_now())
    DiscordMessage.objects.filter(kind="dm").update(next_attempt_at=utc_now())
    drain_now()
    dms = [m for m in discord.created if m["channel_id"] in (f"7{ALICE}", f"7{BOB}")]
    assert sorted(m["embeds"][0]["title"] for m in dms) == ["dm a", "dm b"]
    assert all(m["allowed_mentions"] == {"parse": []} and m["enforce_nonce"] for m in dms)


def test_a_worker_killed_mid_batch_loses_nothing(discord, settings):
    settings.DISCORD_TIMEOUT_SECONDS = 0.3
    settings.DISCORD_LEASE_SECONDS = 0.0  # the lease is then three timeouts: 0.9 s
    channels = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    enqueue(channels, 3)
    outbox.direct_message(discord_id=ALICE, embed={"title": "dm"}, key="test:dm")
    assert asyncio.run(_claim_and_abandon(send=False)) == 3  # the head of each route, leased
    assert drain_now() == 0  # another worker: the heads are leased, the rest waits behind them
    assert discord.received == []
    time.sleep(1.0)
    assert drain_now() == 7  # the leases ran out: everything, once
    for channel in (CHANNEL_ID, OTHER_CHANNEL):
        assert made_in(discord, channel) == ["news 0", "news 1", "news 2"]
    assert len(discord.received) == 8  # 6 posts, 1 DM opened, 1 DM posted
    assert DiscordMessage.objects.exclude(status="sent").count() == 0


def test_a_worker_killed_after_sending_makes_no_second_message(discord, settings):
    settings.DISCORD_TIMEOUT_SECONDS = 0.3
    settings.DISCORD_LEASE_SECONDS = 0.0
    channels = make_channels(CHANNEL_ID, OTHER_CHANNEL)
    enqueue(channels, 2)
    assert asyncio.run(_claim_and_abandon(send=True)) == 2  # sent, answers never recorded
    assert len(discord.created) == 2
    time.sleep(1.0)
    drain_now()
    assert len(discord.received) == 6  # the two heads were sent again (at least once) ...
    for channel in (CHANNEL_ID, OTHER_CHANNEL):  # ... with their nonce: Discord made each once
        assert made_in(discord, channel) == ["news 0", "news 1"]
    assert DiscordMessage.objects.exclude(status="sent").count() == 0


def test_two_workers_keep_each_routes_order_and_send_each_once(discord):
    channels = make_channels(CHANNEL_ID, OTHER_CHANNEL, THIRD_CHANNEL)
    enqueue(channels, 6)
    threads = [threading.Thread(target=drain_now, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    drain_now()  # one drain may have ended while the other still had a route's head in flight
    for channel in (CHANNEL_ID, OTHER_CHANNEL, THIRD_CHANNEL):
        assert made_in(discord, channel) == [f"news {n}" for n in range(6)]
    assert len(discord.received) == 18  # no request twice
    assert DiscordMessage.objects.exclude(status="sent").count() == 0


def test_the_global_budget_is_shared_through_the_database(discord, settings):
    settings.DISCORD_GLOBAL_RATE = 3
    channels = make_channels(CHANNEL_ID, OTHER_CHANNEL, THIRD_CHANNEL)
    enqueue(channels, 1)
    outbox.direct_message(discord_id=ALICE, embed={"title": "dm"}, key="test:dm")  # costs two requests
    claimed = asyncio.run(_claim_and_abandon(send=False))
    used = DiscordRateLimit.objects.get(key="global").used
    assert 2 <= claimed <= 3 and used <= 3
    assert DiscordMessage.objects.filter(leased_until__gt=utc_now()).count() == claimed


def test_an_announcement_for_a_switched_off_channel_is_given_up(discord):
    [channel] = make_channels(CHANNEL_ID)
    enqueue([channel], 1)
    AnnouncementChannel.objects.filter(pk=channel.pk).update(is_active=False)
    drain_now()
    message = DiscordMessage.objects.get()
    assert (message.status, message.last_error) == ("failed", "announcement channel switched off")
    assert discord.received == []


def test_enqueueing_twice_makes_one_message(discord):
    [channel] = make_channels(CHANNEL_ID)
    enqueue([channel], 1)
    enqueue([channel], 1)
    assert DiscordMessage.objects.count() == 1
    assert DiscordMessage.objects.get().created_at > utc_now() - timedelta(minutes=1)


def test_a_channel_webhook_gets_no_bot_token_and_its_token_is_no_metric_label(discord):
    from prometheus_client import REGISTRY, generate_latest

    from ultrabackend.observability.metrics import DISCORD_CALLS

    webhook_id, token = "800000000000000001", "w" * 68
    channel = AnnouncementChannel.objects.create(
        guild_id=GUILD_ID, webhook_url=f"https://discord.com/api/webhooks/{webhook_id}/{token}"
    )
    counted = DISCORD_CALLS.labels("POST /webhooks/{id}/{token}", "204")
    before = counted._value.get()
    enqueue([channel], 2)
    drain_now()
    hooks = discord.requests_to("POST", f"/api/webhooks/{webhook_id}/{token}")
    assert [h.body["embeds"][0]["title"] for h in hooks] == ["news 0", "news 1"]  # in order, one route
    assert all("Authorization" not in h.headers and "nonce" not in h.body for h in hooks)
    assert counted._value.get() == before + 2
    assert token not in generate_latest(REGISTRY).decode()


def test_old_sent_and_failed_messages_are_pruned_pending_ones_stay(discord):
    from community.tasks import prune_discord_outbox

    [channel] = make_channels(CHANNEL_ID)
    enqueue([channel], 4)
    old, failed, waiting, young = DiscordMessage.objects.order_by("id")
    long_ago = utc_now() - timedelta(days=31)
    DiscordMessage.objects.filter(pk=old.pk).update(status="sent", created_at=long_ago)
    DiscordMessage.objects.filter(pk=failed.pk).update(status="failed", created_at=long_ago)
    DiscordMessage.objects.filter(pk=waiting.pk).update(created_at=long_ago)  # pending: kept
    DiscordMessage.objects.filter(pk=young.pk).update(status="sent")
    assert prune_discord_outbox(timestamp=0) == 2
    assert set(DiscordMessage.objects.values_list("pk", flat=True)) == {waiting.pk, young.pk}
