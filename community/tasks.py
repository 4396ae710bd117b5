"""Jobs that talk to Discord (run by `manage.py run_worker`, queue ``discord``): interaction
follow-ups, Linked Roles. Announcements and DMs go through the outbox and the Discord pump
(community/outbox.py, community/discord_pump.py).

Retries (community/retry.py): a 429 waits Discord's ``retry_after``; timeouts and 5xx back off;
any other 4xx is logged and dropped (retrying would get the same answer).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from django.conf import settings
from procrastinate.contrib.django import app

from community import outbox
from community.events import season_top_embed
from community.interactions import leaderboard_message
from community.retry import DiscordRetry
from core.clients import discord as api
from core.services.discord import linked_roles

logger = logging.getLogger(__name__)

QUEUE = "discord"


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=6), pass_context=False)
def finish_leaderboard(
    *, application_id: str, token: str, mode: str, league: str | None, season_id: str, page: int, viewer_id: int | None
) -> None:
    """The follow-up of a deferred /leaderboard (or page button): edits the original message.
    Discord accepts it for 15 minutes after the interaction."""
    body = leaderboard_message(mode=mode, league=league, season_id=season_id, page=page, viewer_id=viewer_id)
    try:
        api.call("PATCH", f"/webhooks/{application_id}/{token}/messages/@original", json=body)
    except api.Rejected as exc:
        logger.warning("Discord refused a leaderboard follow-up: %s", exc)


# Announcements and DMs go through the Discord outbox (community/outbox.py, sent by every worker's
# Discord pump). These three jobs stay for the jobs an older release queued: each puts its
# message into the outbox (keyed by its arguments, so a job run twice adds one message).


@app.task(queue=QUEUE, pass_context=False)
def announce(*, channel_pk: int, embed: dict[str, Any]) -> None:
    """An announcement embed for a server's channel (a job of an older release)."""
    outbox.announce([channel_pk], embed, key=f"job:announce:{_digest(embed)}")


@app.task(queue=QUEUE, pass_context=False)
def announce_season_top(*, channel_pk: int, season_id: str) -> None:
    """The closed season's top 3 of each mode (a job of an older release)."""
    outbox.announce([channel_pk], season_top_embed(season_id), key=f"season-top:{season_id}")


@app.task(queue=QUEUE, pass_context=False)
def send_streak_reminder(*, discord_id: str, embed: dict[str, Any]) -> None:
    """A streak reminder DM (a job of an older release)."""
    outbox.direct_message(discord_id=discord_id, embed=embed, key=f"job:dm:{discord_id}:{_digest(embed)}")


@app.periodic(cron="17 3 * * *", periodic_id="prune_discord_outbox")
@app.task(queue="maintenance", queueing_lock="prune_discord_outbox", pass_context=False)
def prune_discord_outbox(timestamp: int) -> int:
    """Daily: sent and failed Discord messages older than DISCORD_OUTBOX_KEEP_DAYS go."""
    return outbox.prune(older_than_days=int(settings.DISCORD_OUTBOX_KEEP_DAYS))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:32]


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=8), pass_context=False)
def push_role_connection(*, user_id: int) -> None:
    """Bring the player's Linked Roles metadata up to date (reads the state when it runs)."""
    linked_roles.push_role_connection(user_id=user_id)


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def forget_discord_link(*, access_token_encrypted: str, refresh_token_encrypted: str) -> None:
    """After an account erasure: clear the role connection at Discord and revoke the tokens
    (still Fernet ciphertext in the job's arguments, as they were in the erased row)."""
    linked_roles.forget(access_token_encrypted=access_token_encrypted, refresh_token_encrypted=refresh_token_encrypted)
