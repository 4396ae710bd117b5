"""Settling quests whose deadline passed: reached ones complete (paid, or sent to review), the
others end ``failed``. Run by a periodic job and by the season close (challenges that end with
the season settle in the same job); safe to run any number of times, concurrently too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from core.services.events import domain_events
from core.services.quests import progress
from core.services.quests.participation import failed_event
from core.utils.dates import utc_now
from quests.models import QuestParticipation

BATCH = 500


@dataclass
class SettleReport:
    completed: int = 0
    failed: int = 0


def settle_ended(*, now: datetime | None = None) -> SettleReport:
    """Settle every active participation of a quest that ended by ``now``."""
    now = now or utc_now()
    report = SettleReport()
    last_id = 0
    while True:
        ids = list(
            QuestParticipation.objects.filter(state=QuestParticipation.ACTIVE, quest__ends_at__lte=now, pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return report
        last_id = ids[-1]
        for pid, row in progress.progress_of(ids).items():
            if row.reached:
                if progress.complete(participation_id=pid, now=now, late=True):
                    report.completed += 1
            elif _fail(pid, now):
                report.failed += 1


def _fail(participation_id: int, now: datetime) -> bool:
    qp = QuestParticipation.objects.select_related("quest").filter(pk=participation_id).first()
    if qp is None:
        return False
    with transaction.atomic():
        progress._lock_profile(qp.user_id)
        row = progress.progress_of([participation_id]).get(participation_id)
        if row is None or row.state != QuestParticipation.ACTIVE or row.reached:
            return False
        QuestParticipation.objects.filter(pk=participation_id, state=QuestParticipation.ACTIVE).update(
            state=QuestParticipation.FAILED, finished_at=now
        )
        progress.close_one(qp.user_id)
        domain_events.record([failed_event(qp.quest, qp.user_id, row.value, "deadline")], now=now)
    return True
