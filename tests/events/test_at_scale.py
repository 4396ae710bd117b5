"""At scale and under failure: many parallel awards with level-ups are each delivered, none under
two ids; a worker process SIGKILLed three times during a backlog loses nothing; and a process
killed between its commit and its rank-index write is healed by the periodic re-index."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync

from core.services.seasons import index_upkeep, rank_index
from core.services.xp import award_xp
from core.utils.dates import season_id_for, utc_now
from events.models import DomainEvent, WebhookDelivery
from events.tasks import recover_stalled_jobs
from tests.concurrency import run_at_once
from tests.events.conftest import drain, subprocess_env
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]
ROOT = Path(__file__).resolve().parents[2]
THREADS = 16
AWARDS_PER_THREAD = 64  # 1,024 awards (bench/webhooks.py runs 10,000)


def assert_each_event_delivered_once_per_id(receiver, types):
    events = {e.message_id: e for e in DomainEvent.objects.filter(type__in=types)}
    got = receiver.delivered()
    assert receiver.bad_signatures == []
    assert {r.msg_id for r in got} == set(events)
    bodies = defaultdict(set)
    for r in got:
        bodies[(r.body["data"]["user"]["id"], r.body["data"]["sequence"])].add(r.msg_id)
    assert all(len(ids) == 1 for ids in bodies.values())  # never one event under two ids
    return events, got


def test_a_thousand_parallel_awards_with_level_ups_are_all_delivered_in_order(receiver, endpoint):
    endpoint("level_up", "layer_up")
    activity = ActivityTypeFactory(key="scale_run")
    players = [PlayerFactory(username=f"scale{i}") for i in range(THREADS)]

    def worker(t: int) -> int:
        level_ups = 0
        for k in range(AWARDS_PER_THREAD):
            award = award_xp(user=players[(t + k) % THREADS], activity=activity, units=Decimal(300), source="bot")
            level_ups += award.level_up is not None
        return level_ups

    level_ups = sum(run_at_once(worker, THREADS))
    assert DomainEvent.objects.filter(type="level_up").count() == level_ups > 300
    for player in players:  # per-player numbers have no gap and no repeat
        numbers = list(DomainEvent.objects.filter(user=player).order_by("sequence").values_list("sequence", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    drain()
    events, got = assert_each_event_delivered_once_per_id(receiver, ["level_up", "layer_up"])
    per_player = defaultdict(list)
    for r in got:
        per_player[r.body["data"]["user"]["id"]].append(r.body["data"]["sequence"])
    assert all(seqs == sorted(seqs) for seqs in per_player.values())
    assert WebhookDelivery.objects.exclude(status="succeeded").count() == 0


def _start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--concurrency", "4"],
        cwd=ROOT,
        # a killed worker's leased deliveries go to the next worker after 5 s (30 s by default)
        env={**subprocess_env(), "WEBHOOK_LEASE_SECONDS": "5"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_a_worker_killed_three_times_during_a_backlog_loses_nothing(receiver, endpoint):
    endpoint("level_up")
    receiver.respond = lambda n: (200, {}, 0.03)  # a slow receiver: the backlog lasts seconds
    activity = ActivityTypeFactory(key="kill_run")
    players = [PlayerFactory(username=f"kill{i}") for i in range(20)]
    for _ in range(12):
        for player in players:
            award_xp(user=player, activity=activity, units=Decimal(400), source="bot")
    total = DomainEvent.objects.filter(type="level_up").count()
    assert total >= 200

    kills = 0
    worker = _start_worker()
    try:
        while kills < 3:
            deadline = time.monotonic() + 60
            before = len(receiver.delivered())
            while len(receiver.delivered()) < before + 20 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(receiver.delivered()) < total, "the backlog ended before the kill"
            os.kill(worker.pid, signal.SIGKILL)  # mid-batch: its deliveries stay leased, its jobs "doing"
            worker.wait()
            kills += 1
            time.sleep(0.2)
            # What the retry_stalled_jobs periodic job does every minute (its threshold shortened:
            # no worker is alive now).
            async_to_sync(recover_stalled_jobs)(seconds_since_heartbeat=0.1)
            worker = _start_worker()
        got = receiver.wait_for(total, timeout=120)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert kills == 3
    assert len({r.msg_id for r in got}) == total
    assert_each_event_delivered_once_per_id(receiver, ["level_up"])


def test_a_process_killed_between_commit_and_index_write_is_healed_by_the_periodic_reindex(redis_server):
    activity = ActivityTypeFactory(key="heal_run")
    player = PlayerFactory(username="healme")
    award_xp(user=player, activity=activity, units=Decimal(50), source="web")
    season_id = season_id_for(utc_now())
    assert rank_index.check_board(season_id, "reality") == []
    index_upkeep.reindex_changed_scores()  # catches up with what is already indexed

    code = (
        "import os\n"
        "from decimal import Decimal\n"
        "from django.db import transaction\n"
        "from core.services.xp import award_xp\n"
        "from users.models import CustomUser\n"
        "from xp.models import ActivityType\n"
        "with transaction.atomic():\n"
        "    transaction.on_commit(lambda: os._exit(9))  # runs before the award's index write\n"
        f"    award_xp(user=CustomUser.objects.get(pk={player.pk}), activity=ActivityType.objects.get(key='heal_run'),"
        " units=Decimal(70), source='web')\n"
    )
    env = {**subprocess_env(), "PYTEST_XDIST_WORKER": os.environ.get("PYTEST_XDIST_WORKER", "main")}
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True)
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    problems = rank_index.check_board(season_id, "reality")
    assert f"user {player.pk} expected 120.0, index has None" in problems[0]  # committed, never indexed

    assert index_upkeep.reindex_changed_scores() >= 1
    assert rank_index.check_board(season_id, "reality") == []
