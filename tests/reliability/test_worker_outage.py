"""The worker (the Procfile's ``manage.py run_worker``) rides out a PostgreSQL cut: every job made
before, during and after the cut is done afterwards, by the same process, without a restart
from outside."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from core.services.xp import award_xp
from events.models import DomainEvent, WebhookDelivery
from tests.events.conftest import empty_job_queue, endpoint, receiver  # noqa: F401  (fixtures)
from tests.reliability import harness
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]
ROOT = Path(__file__).resolve().parents[2]
CUT_SECONDS = 10


def _worker_through(proxy: harness.FaultProxy, log: Path) -> subprocess.Popen[bytes]:
    db = connection.settings_dict
    user = f"{db['USER']}@" if db.get("USER") else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ultrabackend.settings.test",
        DATABASE_URL=f"postgres://{user}127.0.0.1:{proxy.port}/{db['NAME']}",
        DB_CONNECT_TIMEOUT="2",
        LOG_LEVEL="INFO",
        WORKER_RESTART_BACKOFF_SECONDS="0.2",
        WORKER_RESTART_BACKOFF_MAX_SECONDS="2",
        # an answer the cut kept the pump from recording is sent again (same webhook-id) after this
        WEBHOOK_LEASE_SECONDS="5",
    )
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "run_worker", "--concurrency", "4"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _level_ups(players, activity, rounds: int) -> None:
    for _ in range(rounds):
        for player in players:
            award_xp(user=player, activity=activity, units=Decimal(400), source="bot")


def test_a_postgres_cut_of_ten_seconds_under_a_running_worker_loses_no_job(receiver, endpoint, tmp_path):  # noqa: F811
    endpoint("level_up")
    activity = ActivityTypeFactory(key="outage_run")
    players = [PlayerFactory(username=f"outage{i}") for i in range(10)]
    db = connection.settings_dict
    proxy = harness.FaultProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    log = tmp_path / "worker.log"
    worker = _worker_through(proxy, log)
    try:
        _level_ups(players, activity, 2)
        receiver.wait_for(DomainEvent.objects.filter(type="level_up").count(), timeout=60)
        assert len(receiver.delivered()) > 0, log.read_text()[-3000:]

        proxy.cut()  # the worker's connections drop and new ones are refused
        _level_ups(players, activity, 2)  # written meanwhile (this process reaches PostgreSQL directly)
        time.sleep(CUT_SECONDS)
        assert worker.poll() is None, "the worker exited during the cut:\n" + log.read_text()[-3000:]
        proxy.restore()
        _level_ups(players, activity, 2)  # and after

        total = DomainEvent.objects.filter(type="level_up").count()
        got = receiver.wait_for(total, timeout=90)
        assert worker.poll() is None, "the worker exited after the cut:\n" + log.read_text()[-3000:]
        assert len({r.msg_id for r in got}) == total, log.read_text()[-3000:]
        deadline = time.monotonic() + 60  # the last answers recorded (those sent during the cut: again)
        while WebhookDelivery.objects.exclude(status="succeeded").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert WebhookDelivery.objects.exclude(status="succeeded").count() == 0
        assert DomainEvent.objects.filter(dispatched_at__isnull=True).count() == 0
        with connection.cursor() as cursor:  # nothing left behind, no job lost in "doing"
            cursor.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') AND queue_name <> 'maintenance'"
            )
            assert cursor.fetchone()[0] == 0
            # a live worker again (heartbeat within the last seconds): the same process, restarted inside
            cursor.execute(
                "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '30 seconds'"
            )
            assert cursor.fetchone()[0] >= 1
        assert "restarting" in log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        proxy.close()
    assert worker.returncode == 0, log.read_text()[-3000:]
