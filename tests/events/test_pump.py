"""The event pump: a slow, failing or rate-limiting receiver slows only its own endpoint; two
pumps at once (two worker processes) keep each player's order and send each event once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from http.server import ThreadingHTTPServer

import pytest

from core.services.events import webhooks
from core.services.xp import award_xp
from core.utils.dates import utc_now
from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from events.pump import Pump, drain_now
from tests.events.conftest import Receiver, _handler
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]
PLAYERS = 12


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    made = []
    for _ in range(2):
        rec = Receiver()
        rec.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
        rec.server.daemon_threads = True
        threading.Thread(target=rec.server.serve_forever, daemon=True).start()
        made.append(rec)
    yield made[0], made[1]
    for rec in made:
        rec.server.shutdown()
        rec.server.server_close()


def subscribe(rec: Receiver) -> WebhookEndpoint:
    hook = webhooks.create_endpoint(url=rec.url, event_types=["level_up"])
    rec.secret = hook.secret
    return hook


def level_ups(players: int, rounds: int = 1) -> int:
    activity = ActivityTypeFactory(key="pump_run", mode="reality")
    people = [PlayerFactory() for _ in range(players)]
    for _ in range(rounds):
        for player in people:
            award_xp(user=player, activity=activity, units=Decimal(400), source="bot")
    return DomainEvent.objects.filter(type="level_up").count()


def pump_in_background(**kwargs) -> threading.Thread:
    def run() -> None:
        asyncio.run(Pump(**kwargs).drain(timeout=60))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_slow_receiver_slows_only_its_own_endpoint(receivers):
    slow, fast = receivers
    subscribe(slow), subscribe(fast)
    slow.respond = lambda n: (200, {}, 1.0)
    total = level_ups(PLAYERS)
    thread = pump_in_background(concurrency=8, per_endpoint=2)
    fast.wait_for(total, timeout=20)
    assert len(fast.delivered()) == total
    assert len(slow.delivered()) < total // 2  # two at a time, a second each
    thread.join(timeout=60)
    assert len({r.msg_id for r in slow.delivered()}) == total
    assert WebhookDelivery.objects.exclude(status="succeeded").count() == 0


def test_a_429_with_retry_after_pauses_only_its_own_endpoint(receivers, settings):
    settings.WEBHOOK_ENDPOINT_CONCURRENCY = 4
    limited, fine = receivers
    limited_hook, _ = subscribe(limited), subscribe(fine)
    limited.respond = lambda n: (429, {"Retry-After": "30"}, 0.0)
    total = level_ups(PLAYERS)
    drain_now()
    assert len(fine.delivered()) == total
    # the first answers paused the endpoint: no request after them (at most its 4 slots in flight)
    assert 1 <= limited.requests <= 4
    limited_hook.refresh_from_db()
    assert 25 < (limited_hook.paused_until - utc_now()).total_seconds() <= 31
    assert WebhookDelivery.objects.filter(endpoint=limited_hook, status="pending").count() == total
    drain_now()  # still paused: nothing sent
    assert limited.requests <= 4


def test_a_failing_receiver_is_retried_without_holding_the_others_back(receivers, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    failing, fine = receivers
    failing_hook, _ = subscribe(failing), subscribe(fine)
    failing.respond = lambda n: (500, {}, 0.0)
    total = level_ups(PLAYERS, rounds=2)
    drain_now()
    assert len(fine.delivered()) == total
    # one attempt per player (its first event; the second waits behind it, in order)
    assert failing.requests == PLAYERS
    assert WebhookDelivery.objects.filter(endpoint=failing_hook, status="pending").count() == total
    failing_hook.refresh_from_db()
    assert failing_hook.failing_since is not None and failing_hook.disabled_at is None


def test_two_pumps_at_once_keep_each_players_order_and_send_each_event_once(receivers):
    rec, _ = receivers
    subscribe(rec)
    rec.respond = lambda n: (200, {}, 0.01)
    total = level_ups(PLAYERS, rounds=4)
    threads = [pump_in_background(concurrency=6, per_endpoint=6) for _ in range(2)]
    for thread in threads:
        thread.join(timeout=60)
    got = rec.delivered()
    assert rec.bad_signatures == []
    assert len(got) == total == len({r.msg_id for r in got})  # each once, none twice
    per_player = defaultdict(list)
    for r in got:
        per_player[r.body["data"]["user"]["id"]].append(r.body["data"]["sequence"])
    assert len(per_player) == PLAYERS
    assert all(seqs == sorted(seqs) for seqs in per_player.values()), dict(per_player)


def test_a_worker_killed_mid_batch_loses_nothing_its_leases_run_out(receivers, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    settings.WEBHOOK_LEASE_SECONDS = 0.0  # the lease is then two timeouts: 0.6 s
    rec, other = receivers
    subscribe(rec), subscribe(other)
    total = level_ups(PLAYERS)

    async def claim_and_die() -> int:
        pump = Pump()
        async with pump._open():
            await pump._fan_out()
            return len(await pump._claim(100))  # leased, never sent: the process is gone

    assert asyncio.run(claim_and_die()) == 2 * total
    drain_now()  # another worker meanwhile: every delivery is leased, nothing goes out
    assert rec.requests == other.requests == 0
    time.sleep(0.7)
    drain_now()  # the leases ran out
    expected = set(DomainEvent.objects.filter(type="level_up").values_list("id", flat=True))
    for receiver in (rec, other):
        got = [r.msg_id for r in receiver.delivered()]
        assert sorted(got) == sorted(f"msg_{pk}" for pk in expected)  # each once, same webhook-id
    assert WebhookDelivery.objects.exclude(status="succeeded").count() == 0
