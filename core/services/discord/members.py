"""Writes of the Discord community features: accounts of people who use a command, the servers
they were seen in, and the jobs that talk to Discord (deferred inside the caller's transaction,
so a rolled-back write sends nothing)."""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import IntegrityError, transaction

from community.models import SNOWFLAKE_RE, GuildMember
from core.services.accounts import user_service
from core.utils.jobs import defer_job
from users.models import CustomUser

logger = logging.getLogger(__name__)


def discord_name(discord_user: dict[str, Any]) -> str:
    return str(discord_user.get("global_name") or discord_user.get("username") or "")[:100]


def account_for(discord_user: dict[str, Any], *, create: bool) -> CustomUser | None:
    """The account of the Discord user who sent an interaction; with ``create``, made as the bot
    path makes it (``get_or_create_discord_user``; call it inside the transaction of the write it
    is made for), named after their Discord display name. Raises InvalidDiscordId."""
    discord_id = str(discord_user.get("id", ""))
    if not create:
        return user_service.find_discord_user(discord_id=discord_id)
    user, _ = user_service.get_or_create_discord_user(discord_id=discord_id)
    name_account(user, discord_user)
    return user


def name_account(user: CustomUser, discord_user: dict[str, Any]) -> None:
    """An account without a display name (made by a command) takes the Discord display name;
    a name the player chose or got at sign-in is never overwritten; a name another player is
    shown under gets a suffix (core/services/accounts/user_service.py)."""
    user_service.name_unnamed_account(user, discord_name(discord_user))


def remember_member(guild_id: str | None, user: CustomUser | None) -> None:
    """Note that ``user`` uses this app in the Discord server ``guild_id`` (announcements go
    there). Once per player and server; a concurrent duplicate is ignored."""
    if not guild_id or user is None or not re.match(SNOWFLAKE_RE, str(guild_id)):
        return
    if GuildMember.objects.filter(guild_id=guild_id, user_id=user.pk).exists():
        return
    try:
        with transaction.atomic():
            GuildMember.objects.create(guild_id=guild_id, user_id=user.pk)
    except IntegrityError:
        pass


def defer_once(task: Any, *, queueing_lock: str, lock: str | None = None, **kwargs: Any) -> bool:
    """Defer ``task`` (a task of the caller's tasks module) unless a job with the same
    ``queueing_lock`` is already waiting (that one reads the state when it runs, so one waiting
    job is enough): ``core.utils.jobs.defer_job`` by the task's name."""
    return defer_job(task.name, queueing_lock=queueing_lock, lock=lock, **kwargs)
