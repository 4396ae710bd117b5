"""Jobs that talk to Discord (run by `manage.py procrastinate worker`, queue ``discord``).

Retries (community/retry.py): a 429 waits Discord's ``retry_after``; timeouts and 5xx back off;
any other 4xx is logged and dropped (retrying would get the same answer).
"""

from __future__ import annotations

import logging
from typing import Any

from procrastinate.contrib.django import app

from community import discord_api as api
from community.embeds import season_top_announcement
from community.interactions import leaderboard_message
from community.models import AnnouncementChannel
from community.retry import DiscordRetry
from core.constants.modes import MODES
from core.selectors.seasons.leaderboard import leaderboard
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


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def announce(*, channel_pk: int, embed: dict[str, Any]) -> None:
    """Post one announcement embed to a server's channel (bot token) or channel webhook."""
    channel = AnnouncementChannel.objects.filter(pk=channel_pk, is_active=True).first()
    if channel is not None:
        post(channel, {"embeds": [embed], "allowed_mentions": {"parse": []}})


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def announce_season_top(*, channel_pk: int, season_id: str) -> None:
    """The closed season's top 3 of each mode, read from its final boards."""
    channel = AnnouncementChannel.objects.filter(pk=channel_pk, is_active=True).first()
    if channel is None:
        return
    boards = {
        mode: leaderboard(season_id=season_id, mode=mode, league=None, offset=0, limit=3, me_id=None).rows
        for mode in MODES
    }
    post(channel, {"embeds": [season_top_announcement(season_id, boards)], "allowed_mentions": {"parse": []}})


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def send_streak_reminder(*, discord_id: str, embed: dict[str, Any]) -> None:
    """A DM to a player (streak reminder): open the DM channel, post the embed. Deferred with
    the lock "discord-dm", so reminders go one after the other; a 429 waits retry_after."""
    channel = api.call("POST", "/users/@me/channels", json={"recipient_id": discord_id}, headers=api.bot_headers())
    api.call(
        "POST",
        f"/channels/{channel['id']}/messages",
        json={"embeds": [embed], "allowed_mentions": {"parse": []}},
        headers=api.bot_headers(),
    )


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=8), pass_context=False)
def push_role_connection(*, user_id: int) -> None:
    """Bring the player's Linked Roles metadata up to date (reads the state when it runs)."""
    linked_roles.push_role_connection(user_id=user_id)


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def forget_discord_link(*, access_token_encrypted: str, refresh_token_encrypted: str) -> None:
    """After an account erasure: clear the role connection at Discord and revoke the tokens
    (still Fernet ciphertext in the job's arguments, as they were in the erased row)."""
    linked_roles.forget(access_token_encrypted=access_token_encrypted, refresh_token_encrypted=refresh_token_encrypted)


def post(channel: AnnouncementChannel, body: dict[str, Any]) -> None:
    if channel.channel_id:
        path, headers = f"/channels/{channel.channel_id}/messages", api.bot_headers()
    else:
        parts = channel.webhook_parts()
        if parts is None:
            logger.warning("announcement channel %s has an unusable webhook URL", channel.pk)
            return
        path, headers = f"/webhooks/{parts[0]}/{parts[1]}", {}
    try:
        api.call("POST", path, json=body, headers=headers)
    except api.Rejected as exc:
        logger.warning("Discord refused an announcement for server %s: %s", channel.guild_id, exc)
