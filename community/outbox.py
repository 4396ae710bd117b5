"""Enqueueing Discord messages (announcements, DMs) into the outbox (``DiscordMessage``), in the
caller's transaction: a rolled-back write sends nothing. Every worker's Discord pump
(community/discord_pump.py) sends them in batches under Discord's rate limits.

Each message has an idempotency ``key`` (``event:<event id>:<channel>``, ``streak:<player>:...``):
enqueueing the same message twice (a consumer job run twice) makes one row."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from community.models import AnnouncementChannel, DiscordMessage
from core.utils.dates import utc_now
from ultrabackend.observability.context import current_request_id

logger = logging.getLogger(__name__)


def message_body(embed: dict[str, Any]) -> dict[str, Any]:
    """An embed as a message body; mentions are never parsed (user text cannot ping anyone)."""
    return {"embeds": [embed], "allowed_mentions": {"parse": []}}


def route_of(channel: AnnouncementChannel) -> str | None:
    """Discord's rate-limit route of a channel's messages (the bot's channel, or the webhook)."""
    if channel.channel_id:
        return f"channel:{channel.channel_id}"
    parts = channel.webhook_parts()
    return f"webhook:{parts[0]}" if parts else None


def announce(channel_pks: Iterable[int], embed: dict[str, Any], *, key: str, user_id: int | None = None) -> int:
    """One announcement per active channel, keyed ``<key>:<channel pk>`` (a key already there
    is skipped); returns the channels it was meant for."""
    rows = []
    for channel in AnnouncementChannel.objects.filter(pk__in=list(channel_pks), is_active=True):
        route = route_of(channel)
        if route is None:
            logger.warning("announcement channel %s has an unusable webhook URL", channel.pk)
            continue
        rows.append(
            _message(DiscordMessage.ANNOUNCEMENT, f"{key}:{channel.pk}", route, embed, user_id, channel=channel)
        )
    DiscordMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def direct_message(*, discord_id: str, embed: dict[str, Any], key: str, user_id: int | None = None) -> None:
    """A DM to a player (opened at Discord when it is sent)."""
    message = _message(DiscordMessage.DM, key, f"dm:{discord_id}", embed, user_id, recipient=discord_id)
    DiscordMessage.objects.bulk_create([message], ignore_conflicts=True)


def _message(
    kind: str, key: str, route: str, embed: dict[str, Any], user_id: int | None, **target: Any
) -> DiscordMessage:
    now = utc_now()
    return DiscordMessage(
        kind=kind,
        key=key[:200],
        route=route,
        user_id=user_id,
        body=message_body(embed),
        created_at=now,
        next_attempt_at=now,
        request_id=current_request_id() or "",
        **target,
    )


def prune(*, older_than_days: int) -> int:
    """Delete sent and failed messages made more than ``older_than_days`` ago (pending ones stay,
    whatever their age); returns how many."""
    before = utc_now() - timedelta(days=older_than_days)
    done = DiscordMessage.objects.filter(status__in=[DiscordMessage.SENT, DiscordMessage.FAILED], created_at__lt=before)
    deleted, _ = done.delete()
    return deleted
