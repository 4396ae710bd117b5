"""Reads of quests shaped for the API: the list with the reader's progress, one quest, a
challenge's board. Never writes; progress comes from the ledger (core/services/quests/progress)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from core.selectors.quests.quest_progress import PROGRESS_LATERAL, progress_document, progress_values
from core.utils.dates import utc_now
from quests.models import Quest, QuestParticipation
from users.models import CustomUser

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser


def visible_quests(
    user: CustomUser | AnonymousUser | None, *, kind: str | None = None, now: datetime | None = None
) -> QuerySet[Quest]:
    """Published challenges that have not ended, challenges the reader took part in, and the
    reader's own goals (abandoned ones left out); soonest deadline first."""
    now = now or utc_now()
    mine = QuestParticipation.objects.filter(quest_id=OuterRef("pk"), user_id=getattr(user, "pk", None))
    open_challenges = Q(kind=Quest.CHALLENGE, is_published=True, ends_at__gt=now)
    if user is not None and getattr(user, "is_authenticated", False):
        condition = (
            open_challenges
            | Q(kind=Quest.CHALLENGE, is_published=True, took_part=True)
            | Q(kind=Quest.GOAL, owner_id=user.pk, abandoned=False)
        )
        qs: QuerySet[Quest] = Quest.objects.annotate(
            took_part=Exists(mine),
            abandoned=Exists(mine.filter(state=QuestParticipation.ABANDONED)),
        ).filter(condition)  # type: ignore[assignment]
    else:
        qs = Quest.objects.filter(open_challenges)
    if kind is not None:
        qs = qs.filter(kind=kind)
    return qs.select_related("activity").order_by("ends_at", "id")


def visible_quest(quest_id: int, user: CustomUser | AnonymousUser | None) -> Quest | None:
    """A published challenge (ended ones too, so a link keeps working), or the reader's own goal
    unless abandoned; None otherwise."""
    quest = Quest.objects.select_related("activity").filter(pk=quest_id).first()
    if quest is None:
        return None
    if quest.kind == Quest.CHALLENGE:
        return quest if quest.is_published else None
    if user is None or quest.owner_id != getattr(user, "pk", None):
        return None
    abandoned = QuestParticipation.objects.filter(
        quest_id=quest.pk, user_id=user.pk, state=QuestParticipation.ABANDONED
    ).exists()
    return None if abandoned else quest


@dataclass(frozen=True)
class QuestCard:
    quest: Quest
    joined: bool | None  # None: an anonymous reader
    progress: dict[str, Any] | None
    state: str | None
    joined_at: datetime | None = None


def display_state(state: str, quest: Quest, value: Decimal, now: datetime) -> str:
    """The state a reader sees: an active participation of a quest past its deadline that did
    not reach the target is failed (the settle job records it within minutes)."""
    if state == QuestParticipation.ACTIVE and now >= quest.ends_at and value < quest.target:
        return QuestParticipation.FAILED
    return state


def cards(quests: Sequence[Quest], user: CustomUser | AnonymousUser | None) -> list[QuestCard]:
    """The reader's view of ``quests``: two statements for a signed-in reader, none otherwise."""
    if user is None or not getattr(user, "is_authenticated", False):
        return [QuestCard(q, None, None, None) for q in quests]
    now = utc_now()
    participations = {
        p.quest_id: p for p in QuestParticipation.objects.filter(user_id=user.pk, quest_id__in=[q.pk for q in quests])
    }
    values = progress_values([p.pk for p in participations.values()])
    result = []
    for quest in quests:
        p = participations.get(quest.pk)
        if p is None or p.state == QuestParticipation.ABANDONED:
            result.append(QuestCard(quest, False, None, None))
            continue
        value = values.get(p.pk, (Decimal(0), None))[0]
        result.append(
            QuestCard(
                quest,
                True,
                progress_document(value, quest.target),
                display_state(p.state, quest, value, now),
                p.joined_at,
            )
        )
    return result


@dataclass(frozen=True)
class BoardRow:
    rank: int
    user: CustomUser
    value: Decimal
    reached_at: datetime | None
    state: str


def leaderboard(quest: Quest) -> list[BoardRow]:
    """Everyone taking part (abandoned and left aside), ranked by progress, then by who reached
    it first (the time of the last entry that counted), then by id; one statement and one for
    the players."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT RANK() OVER (ORDER BY pr.value DESC, pr.last_at ASC NULLS LAST), qp.user_id, pr.value, pr.last_at, qp.state
            FROM {QuestParticipation._meta.db_table} qp JOIN {Quest._meta.db_table} q ON q.id = qp.quest_id
            {PROGRESS_LATERAL}
            WHERE qp.quest_id = %s AND qp.state <> %s
            ORDER BY pr.value DESC, pr.last_at ASC NULLS LAST, qp.user_id
            """,
            [quest.pk, QuestParticipation.ABANDONED],
        )
        rows = cursor.fetchall()
    users = CustomUser.objects.in_bulk([row[1] for row in rows])
    now = utc_now()
    return [
        BoardRow(rank, users[uid], value, last_at, display_state(state, quest, value, now))
        for rank, uid, value, last_at, state in rows
        if uid in users
    ]
