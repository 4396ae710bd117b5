"""Linked Roles: a player authorises the app (scopes role_connections.write identify), their
Discord tokens are kept encrypted, refreshed before they expire, and their role connection
(level, layers, leagues) is pushed to Discord by a job whenever one of those values moves.

Metadata values (community/commands.py ROLE_METADATA, read by `discord_sync`): ``level``; ``reality_layer`` /
``cyber_layer`` as the layer's order (0-4); ``reality_league`` / ``cyber_league`` as
LEAGUE_NUMBER (Bronze 1 ... Ultra 6).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction

from community.models import DiscordLink
from core.clients import discord as api
from core.constants.layers import layer_for_xp
from core.constants.leagues import LEAGUE_NUMBER
from core.constants.modes import MODES
from core.exceptions import LinkedRolesNotConfigured
from core.utils.dates import utc_now
from core.utils.jobs import defer_job
from ultrabackend import crypto
from users.models import CustomUser
from xp.models import UserProfile

logger = logging.getLogger(__name__)

SCOPES = ("role_connections.write", "identify")
REFRESH_MARGIN = timedelta(minutes=5)


class TokenExpired(api.Unavailable):
    """Discord refused the access token: the next attempt refreshes it first."""


def ensure_configured() -> None:
    if not (
        settings.DISCORD_LINKED_ROLES_ENABLED
        and settings.DISCORD_CLIENT_ID
        and settings.DISCORD_CLIENT_SECRET
        and crypto.is_configured()
    ):
        raise LinkedRolesNotConfigured()


def metadata_for(user_id: int) -> dict[str, int]:
    found = UserProfile.objects.filter(user_id=user_id).first()
    values = {"level": found.level if found else 1}
    for mode in MODES:
        values[f"{mode}_layer"] = layer_for_xp(mode, found.mode_xp(mode) if found else 0).order
        values[f"{mode}_league"] = LEAGUE_NUMBER.get(found.league(mode) if found else "bronze", 1)
    return values


PUSH_ROLE_CONNECTION_TASK = "community.tasks.push_role_connection"


def defer_role_connection(user_id: int) -> None:
    """Queue the push of ``user_id``'s role connection. queueing_lock: one waiting job is enough;
    lock: a waiting job never runs beside a running one (``push_role_connection`` also locks the
    link's row, whoever calls it)."""
    defer_job(
        PUSH_ROLE_CONNECTION_TASK,
        queueing_lock=f"role-connection:{user_id}",
        lock=f"role-connection:{user_id}",
        user_id=user_id,
    )


def link(*, user: CustomUser, discord_id: str, tokens: dict[str, Any]) -> DiscordLink:
    """Store (or replace) ``user``'s authorisation from a token answer and push their role
    connection once, from a job, after commit."""
    now = utc_now()
    with transaction.atomic():
        found, _ = DiscordLink.objects.update_or_create(
            user=user,
            defaults={
                "discord_id": discord_id,
                "access_token_encrypted": crypto.encrypt(tokens["access_token"]),
                "refresh_token_encrypted": crypto.encrypt(tokens["refresh_token"]),
                "expires_at": now + timedelta(seconds=int(tokens["expires_in"])),
                "scope": str(tokens.get("scope", ""))[:200],
                "linked_at": now,
                "pushed_metadata": None,
                "pushed_at": None,
                "revoked_at": None,
            },
        )
        defer_role_connection(user.pk)
    return found


def _fresh_access_token(found: DiscordLink) -> str | None:
    """The access token, refreshed first when it expires soon; None when Discord refused the
    refresh token (the link is then marked revoked)."""
    if found.expires_at - REFRESH_MARGIN > utc_now():
        return crypto.decrypt(found.access_token_encrypted)
    try:
        tokens = api.refresh_tokens(crypto.decrypt(found.refresh_token_encrypted))
    except api.Rejected as exc:
        logger.warning("Discord refused the refresh token of user %s (%s): link revoked", found.user_id, exc.status)
        DiscordLink.objects.filter(pk=found.pk).update(revoked_at=utc_now())
        return None
    found.access_token_encrypted = crypto.encrypt(tokens["access_token"])
    found.refresh_token_encrypted = crypto.encrypt(tokens["refresh_token"])
    found.expires_at = utc_now() + timedelta(seconds=int(tokens["expires_in"]))
    found.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "expires_at"])
    return tokens["access_token"]


def push_role_connection(*, user_id: int) -> bool:
    """PUT the player's role connection when it differs from what Discord last accepted. True
    when sent. Raises api.RateLimited / Unavailable (the job retries them).

    One push per player at a time: the link's row is locked from the comparison to the record
    of what Discord accepted, so two racing jobs send the values once (the second one waits,
    then finds them pushed)."""
    with transaction.atomic():
        found = (
            DiscordLink.objects.select_for_update(of=("self",))
            .filter(user_id=user_id, revoked_at__isnull=True)
            .select_related("user")
            .first()
        )
        if found is None:
            return False
        outcome = _push_locked(found)
    if outcome is None:
        raise TokenExpired("Discord refused the access token; refreshing on the next attempt")
    return outcome


def _push_locked(found: DiscordLink) -> bool | None:
    """The push of ``push_role_connection`` under the row lock; None when Discord refused the
    access token (it is marked expired, so the retry refreshes it)."""
    metadata = metadata_for(found.user_id)
    if found.pushed_metadata == metadata:
        return False
    try:
        token = _fresh_access_token(found)
    except crypto.DecryptionFailed:
        logger.error("the Discord tokens of user %s cannot be decrypted with FIELD_ENCRYPTION_KEY", found.user_id)
        return False
    if token is None:
        return False
    body = {
        "platform_name": settings.DISCORD_PLATFORM_NAME,
        "platform_username": found.user.public_name[:100],
        "metadata": {key: str(value) for key, value in metadata.items()},
    }
    try:
        api.put_role_connection(token, body)
    except api.Rejected as exc:
        if exc.status == 401:
            DiscordLink.objects.filter(pk=found.pk).update(expires_at=utc_now())
            return None
        logger.warning("Discord refused the role connection of user %s: %s", found.user_id, exc)
        return False
    DiscordLink.objects.filter(pk=found.pk).update(pushed_metadata=metadata, pushed_at=utc_now())
    return True


def forget(*, access_token_encrypted: str, refresh_token_encrypted: str) -> None:
    """Account erasure, after the link's row is gone: clear the player's role connection at
    Discord (empty metadata) and revoke the app's tokens. Raises api.RateLimited /
    Unavailable (the job retries; both steps are safe to repeat)."""
    try:
        access, refresh = crypto.decrypt(access_token_encrypted), crypto.decrypt(refresh_token_encrypted)
    except crypto.DecryptionFailed:
        logger.error("erased Discord tokens cannot be decrypted with FIELD_ENCRYPTION_KEY: not revoked")
        return
    cleared = {"platform_name": settings.DISCORD_PLATFORM_NAME, "platform_username": None, "metadata": {}}
    try:
        api.put_role_connection(access, cleared)
    except api.Rejected as exc:
        if exc.status == 401:  # the access token expired: a fresh one clears it
            try:
                tokens = api.refresh_tokens(refresh)
                access, refresh = tokens["access_token"], tokens["refresh_token"]
                api.put_role_connection(access, cleared)
            except api.Rejected:
                logger.info("the erased player's Discord authorisation was already gone")
                return  # Discord no longer knows these tokens: nothing left to clear or revoke
        else:
            logger.warning("Discord refused to clear an erased player's role connection: %s", exc)
    for token, hint in ((access, "access_token"), (refresh, "refresh_token")):
        try:
            api.revoke_token(token, hint)
        except api.Rejected as exc:
            logger.info("Discord refused to revoke an erased player's %s: %s", hint, exc)


def rotate_keys() -> int:
    """Re-encrypt every stored token with the first FIELD_ENCRYPTION_KEY; the number of links."""
    done = 0
    for found in DiscordLink.objects.all().iterator():
        DiscordLink.objects.filter(pk=found.pk).update(
            access_token_encrypted=crypto.rotate(found.access_token_encrypted),
            refresh_token_encrypted=crypto.rotate(found.refresh_token_encrypted),
        )
        done += 1
    return done
