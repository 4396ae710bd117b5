"""Accounts by Discord identity: one Discord id is one account, whoever creates it first.

The bot may create an account for a Discord id (``get_or_create_discord_user``) before that
person ever signs in; a later Discord sign-in (``sign_in_discord``) lands in the same account,
with its XP. Both are race-safe: ``discord_id`` is unique in the database, and a losing
concurrent insert re-reads the winner's row.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from core.exceptions import InvalidDiscordId
from users.models import CustomUser

SNOWFLAKE = re.compile(r"[0-9]{17,20}")
USERNAME_MAX = 150


@dataclass(frozen=True)
class DiscordIdentity:
    """What a Discord sign-in tells us about the person (from users/@me)."""

    discord_id: str
    username: str
    display_name: str
    avatar_url: str
    email: str = ""
    email_verified: bool = False
    extra_data: dict[str, Any] = field(default_factory=dict)


def validate_discord_id(value: object) -> str:
    """The Discord id as a string of 17 to 20 digits; raises InvalidDiscordId otherwise."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not SNOWFLAKE.fullmatch(text):
        raise InvalidDiscordId(discord_id=str(value)[:40])
    return text


def find_discord_user(*, discord_id: str) -> CustomUser | None:
    """The account of ``discord_id`` or None; raises InvalidDiscordId."""
    return CustomUser.objects.filter(discord_id=validate_discord_id(discord_id)).first()


def placeholder_username() -> str:
    """The username of an account made before its player signed in (the bot awarded XP first):
    random, so a public board never shows a Discord id."""
    return f"player_{secrets.token_hex(6)}"


def get_or_create_discord_user(*, discord_id: str) -> tuple[CustomUser, bool]:
    """The account of ``discord_id``, created (no usable password, with a profile) if none exists.

    Raises InvalidDiscordId. Safe under concurrency: exactly one account per Discord id.
    """
    discord_id = validate_discord_id(discord_id)
    user = CustomUser.objects.filter(discord_id=discord_id).first()
    if user is not None:
        return user, False
    # Never made from the Discord id: usernames are public (boards), the id is not.
    username = placeholder_username()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                # create_user makes the profile in the same transaction; password=None is unusable.
                user = CustomUser.objects.create_user(username=username, password=None, discord_id=discord_id)
            return user, True
        except IntegrityError:
            # Another request created this Discord id between our read and our insert: use theirs.
            existing = CustomUser.objects.filter(discord_id=discord_id).first()
            if existing is not None:
                return existing, False
            # The username is someone else's: take another and try again.
            username = placeholder_username()
    raise RuntimeError("could not create an account for a Discord id")  # three clashes in a row


def sign_in_discord(*, identity: DiscordIdentity) -> CustomUser:
    """The account for a Discord sign-in, created or found by Discord id, with the identity
    (username, display name, avatar, verified email) refreshed from Discord.

    Raises InvalidDiscordId (Discord answered something that is not a snowflake).
    """
    from allauth.socialaccount.models import SocialAccount

    user, _ = get_or_create_discord_user(discord_id=identity.discord_id)
    changed = _refresh_identity(user, identity)
    if changed:
        _save_identity(user, identity, changed)
    # The link allauth knows about (admin: Social accounts); one row per Discord id.
    SocialAccount.objects.update_or_create(
        provider="discord", uid=identity.discord_id, defaults={"user": user, "extra_data": identity.extra_data}
    )
    return user


def _refresh_identity(user: CustomUser, identity: DiscordIdentity) -> list[str]:
    changed = []
    if identity.username and user.username != identity.username and not _is_clash_variant(user.username, identity):
        user.username = identity.username[:USERNAME_MAX]
        changed.append("username")
    display_name = (identity.display_name or identity.username)[:100]
    if not user.display_name_chosen and user.display_name != display_name:
        user.display_name = display_name
        changed.append("display_name")
    if user.avatar_url != identity.avatar_url:
        user.avatar_url = identity.avatar_url
        changed.append("avatar_url")
    if identity.email and identity.email_verified and not user.email:
        user.email = identity.email
        changed.append("email")
    return changed


def _is_clash_variant(username: str, identity: DiscordIdentity) -> bool:
    """The username _save_identity gave when the Discord username was taken: kept, so it does
    not change at every sign-in while the clash lasts."""
    prefix = identity.username[: USERNAME_MAX - 9]
    return username.startswith(f"{prefix}_") and re.fullmatch(r"[0-9a-f]{8}", username[len(prefix) + 1 :]) is not None


def _save_identity(user: CustomUser, identity: DiscordIdentity, changed: list[str]) -> None:
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
    except IntegrityError:
        if "username" not in changed:
            raise
        # Another account holds that username (a local account, or a Discord user who renamed):
        # keep it unique with a random suffix (not the Discord id: usernames are public).
        for _attempt in range(3):
            user.username = f"{identity.username[: USERNAME_MAX - 9]}_{secrets.token_hex(4)}"
            try:
                with transaction.atomic():
                    user.save(update_fields=changed)
                return
            except IntegrityError:
                continue
        raise RuntimeError("could not find a free username")
