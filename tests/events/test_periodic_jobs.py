"""The periodic jobs run as jobs: stalled-job recovery and the re-index of changed scores."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from core.selectors.seasons import rank_keys
from core.services.events import domain_events
from core.services.xp import award_xp
from core.tasks import reindex_changed_scores
from core.utils.dates import season_id_for, utc_now
from events.models import IndexWatermark
from events.tasks import retry_stalled_jobs
from tests.events.conftest import drain, jobs
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]


def test_retry_stalled_jobs_puts_the_jobs_of_a_dead_worker_back(settings):
    # The worker runs its due periodic jobs when it starts: while this is an hour, the periodic
    # retry_stalled_jobs that drain() may run does not count the dead worker's silence as stalled yet.
    settings.JOBS_STALLED_AFTER_SECONDS = 3600
    domain_events.insert_jobs([(domain_events.DISPATCH_QUEUE, domain_events.DISPATCH_TASK, None, 0, {})])
    [dispatch] = jobs("events.dispatch")
    # A worker that died holding the job, silent for 20 s: younger than the 30 s after which a
    # starting procrastinate worker prunes it (which would free its jobs whatever our setting).
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '20 seconds') RETURNING id"
        )
        worker_id = cursor.fetchone()[0]
        cursor.execute(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %s WHERE id = %s", [worker_id, dispatch["id"]]
        )
    drain()
    assert jobs("events.dispatch")[0]["status"] == "doing"  # stuck with the dead worker
    settings.JOBS_STALLED_AFTER_SECONDS = 10
    retry_stalled_jobs.defer(timestamp=0)
    drain()
    assert jobs("events.dispatch")[0]["status"] == "succeeded"


def test_reindex_changed_scores_heals_a_lost_index_write_and_keeps_young_entries_unsettled(redis_server, settings):
    activity = ActivityTypeFactory()
    player = PlayerFactory()
    season_id = season_id_for(utc_now())
    redis_url = settings.REDIS_URL
    settings.REDIS_URL = ""  # this write's index mirror is lost (as if the process died after commit)
    award_xp(user=player, activity=activity, units=Decimal(40), source="web")
    settings.REDIS_URL = redis_url
    board = rank_keys.board_key(season_id, "reality")
    assert redis_server.zrange(board, 0, -1) == []
    reindex_changed_scores.defer(timestamp=0)
    drain()
    assert [score for _, score in redis_server.zrange(board, 0, -1, withscores=True)] == [40.0]
    # The entry is younger than the settle time: the next run reads it again (harmless).
    assert IndexWatermark.objects.get().last_entry_id == 0
