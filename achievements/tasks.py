"""Jobs of the achievements app (procrastinate): the retroactive grant, boost announcements."""

from __future__ import annotations

from django.db import transaction
from procrastinate.contrib.django import app

from achievements.models import Achievement, XPBoost
from community import outbox
from community.embeds import streak_reminder
from core.services.achievements import streaks, unlocks
from core.services.events import domain_events
from core.utils.dates import utc_now
from events.models import BOOST_STARTED


@app.task(queue="maintenance", queueing_lock="grant_achievement", lock="grant_achievement", pass_context=False)
def grant_achievement(achievement_id: int) -> None:
    """Grant an achievement to every player who already qualifies (resumable: the cursor moves
    with each batch)."""
    unlocks.grant(achievement_id)


@app.periodic(cron="*/10 * * * *", periodic_id="grant_new_achievements")
@app.task(queue="maintenance", queueing_lock="grant_new_achievements", lock="grant_achievement", pass_context=False)
def grant_new_achievements(timestamp: int) -> int:
    """Every 10 minutes: finish the grant of every achievement whose grant has not finished (a new
    one, or one whose job died). Returns achievements finished."""
    pending = list(Achievement.objects.filter(is_active=True, granted_at__isnull=True).values_list("pk", flat=True))
    for achievement_id in pending:
        unlocks.grant(achievement_id)
    return len(pending)


@app.periodic(cron="* * * * *", periodic_id="announce_boosts")
@app.task(queue="maintenance", queueing_lock="announce_boosts", pass_context=False)
def announce_boosts(timestamp: int) -> int:
    """Every minute: record boost_started for each boost that began and is not announced yet."""
    return announce_started_boosts()


def announce_started_boosts() -> int:
    now = utc_now()
    with transaction.atomic():
        started = list(
            XPBoost.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(announced_at__isnull=True, starts_at__lte=now, ends_at__gt=now)
            .select_related("activity")
        )
        if not started:
            return 0
        domain_events.record(
            [
                domain_events.NewEvent(
                    BOOST_STARTED,
                    None,
                    {
                        "boost": b.pk,
                        "name": b.name,
                        "multiplier": str(b.multiplier),
                        "starts_at": b.starts_at.isoformat(),
                        "ends_at": b.ends_at.isoformat(),
                        "mode": b.mode or (b.activity.mode if b.activity else None),
                        "activity": b.activity.key if b.activity else None,
                    },
                )
                for b in started
            ],
            now=now,
        )
        XPBoost.objects.filter(pk__in=[b.pk for b in started]).update(announced_at=now)
    return len(started)


@app.periodic(cron="*/15 * * * *", periodic_id="remind_streaks")
@app.task(queue="maintenance", queueing_lock="remind_streaks", pass_context=False)
def remind_streaks(timestamp: int) -> int:
    """Every 15 minutes: a Discord DM to each opted-in player whose streak ends within a few
    hours with nothing logged today, into the Discord outbox (sent by the workers' Discord
    pump, one at a time per player, under Discord's rate limits: community/discord_pump.py)."""
    return defer_streak_reminders()


def defer_streak_reminders() -> int:
    # One transaction: a reminder is marked sent (reminded_for) if and only if its DM is queued.
    with transaction.atomic():
        due = streaks.due_reminders()
        for user, mode, ends_at in due:
            outbox.direct_message(
                discord_id=str(user.discord_id),
                embed=streak_reminder(mode, ends_at),
                key=f"streak:{user.pk}:{mode}:{ends_at.isoformat()}",
                user_id=user.pk,
            )
    return len(due)
