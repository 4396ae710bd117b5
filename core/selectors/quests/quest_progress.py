"""The progress of quest participations, read from the ledger (exact and derivable: entries of
the quest's activity, or XP of its mode, inside the window after joining; corrections count)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection

from quests.models import Quest, QuestParticipation
from xp.models import ActivityType, XPEntry


def table(model: Any) -> str:
    return str(model._meta.db_table)


# The progress of each participation ``qp`` (joined with its quest ``q``): value and the time of
# the last entry that counted. The lower bound on e.created_at is for the index: a correction is
# always made after the entry it corrects.
PROGRESS_LATERAL = f"""
CROSS JOIN LATERAL (
    SELECT COALESCE(SUM(CASE WHEN q.activity_id IS NULL THEN e.xp ELSE e.units END), 0) AS value,
           MAX(e.created_at) AS last_at
    FROM {table(XPEntry)} e
    JOIN {table(ActivityType)} a ON a.id = e.activity_id
    LEFT JOIN {table(XPEntry)} c ON c.id = e.corrects_id
    WHERE e.user_id = qp.user_id
      AND e.created_at >= GREATEST(q.starts_at, qp.joined_at)
      AND (e.activity_id = q.activity_id OR (q.activity_id IS NULL AND e.mode = q.mode AND NOT a.system))
      AND COALESCE(c.created_at, e.created_at) >= GREATEST(q.starts_at, qp.joined_at)
      AND COALESCE(c.created_at, e.created_at) < q.ends_at
) pr"""

_COLUMNS = (
    "qp.id, qp.user_id, qp.state, q.id, q.title, q.kind, q.target, q.ends_at, q.proof_required, pr.value, pr.last_at"
)


@dataclass(frozen=True)
class ProgressRow:
    participation_id: int
    user_id: int
    state: str
    quest_id: int
    title: str
    kind: str
    target: Decimal
    ends_at: datetime
    proof_required: bool
    value: Decimal
    last_at: datetime | None

    @property
    def reached(self) -> bool:
        return self.value >= self.target


def rows(where: str, params: list[Any]) -> list[ProgressRow]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM {table(QuestParticipation)} qp JOIN {table(Quest)} q ON q.id = qp.quest_id"
            f"{PROGRESS_LATERAL} WHERE {where} ORDER BY q.ends_at, q.id",
            params,
        )
        return [ProgressRow(*row) for row in cursor.fetchall()]


def progress_of(participation_ids: list[int]) -> dict[int, ProgressRow]:
    """Progress of the given participations (one statement)."""
    if not participation_ids:
        return {}
    return {r.participation_id: r for r in rows("qp.id = ANY(%s)", [participation_ids])}


def progress_values(participation_ids: list[int]) -> dict[int, tuple[Decimal, datetime | None]]:
    return {pid: (row.value, row.last_at) for pid, row in progress_of(participation_ids).items()}


def percent(value: Decimal, target: Decimal) -> int:
    """Whole percent of the target reached, 0..100."""
    if target <= 0:
        return 100
    return max(0, min(100, int(value * 100 // target)))


CENT = Decimal("0.01")


def progress_document(value: Decimal, target: Decimal) -> dict[str, Any]:
    """``{"value", "target", "percent"}``: decimals as strings with two places, as every decimal
    of the API."""
    return {
        "value": str(Decimal(value).quantize(CENT)),
        "target": str(Decimal(target).quantize(CENT)),
        "percent": percent(Decimal(value), Decimal(target)),
    }
