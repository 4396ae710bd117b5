"""Accounts by Discord identity: one Discord id is one account, whoever creates it first.

The bot may create an account for a Discord id (``get_or_create_discord_user``) before that
person ever signs in; a later Discord sign-in (``sign_in_discord``) lands in the same account,
with its XP. Both are race-safe: ``discord_id`` is unique in the database, and a losing
concurrent insert re-reads the winner's row.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Value

from core.exceptions import InvalidDiscordId
from users.models import SHOWN_NAME_CONSTRAINT, CustomUser, name_key, shown_name_key

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


# Characters that show as nothing or as a blank although Unicode files them as letters or marks
# (Hangul fillers, the braille blank, the combining grapheme joiner, Mongolian vowel separator).
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u180e\u17b4\u17b5")
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def is_refused_character(ch: str) -> bool:
    """Control, format (zero-width, bidi overrides), private-use, unassigned and invisible
    characters, and any whitespace but the plain space: never in a display name."""
    return unicodedata.category(ch) in REFUSED_CATEGORIES or ch in INVISIBLE or (ch.isspace() and ch != " ")


def clean_name(name: str) -> str:
    """A name from Discord or the bot without the characters a chosen name may not have."""
    return " ".join("".join(ch if not is_refused_character(ch) or ch.isspace() else "" for ch in name).split())


def name_taken(name: str, *, exclude_pk: int | None = None) -> bool:
    """Whether another player (not erased) is shown under ``name``: compared by the database's
    own key (NFKC, then lower case), the one its unique index uses."""
    found = (
        CustomUser.objects.filter(erased_at__isnull=True).alias(key=shown_name_key()).filter(key=name_key(Value(name)))
    )
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.exists()


def is_name_clash(exc: IntegrityError) -> bool:
    return SHOWN_NAME_CONSTRAINT in str(exc)


def name_candidates(name: str, discord_id: str | None) -> list[str]:
    """``name``, then the same with a disambiguating suffix: the Discord id's last four digits,
    then a counter (docs/domain.md, "Names")."""
    base = name[:90]
    found = [name]
    if discord_id:
        found.append(f"{base} #{discord_id[-4:]}")
    found.extend(f"{base} #{n}" for n in range(2, 30))
    return found


def save_with_free_name(user: CustomUser, fields: list[str], *, wanted: str) -> None:
    """Save ``fields`` of ``user`` with display name ``wanted`` or, when another player is shown
    under it, the first free ``name_candidates`` suffix. For names the player did not choose
    (Discord's name, the bot's name); a chosen name is refused instead (account_service)."""
    fields = list(dict.fromkeys([*fields, "display_name"]))
    for candidate in name_candidates(wanted, user.discord_id):
        user.display_name = candidate
        if name_taken(candidate, exclude_pk=user.pk):
            continue
        try:
            with transaction.atomic():
                user.save(update_fields=fields)
            return
        except IntegrityError as exc:
            if not is_name_clash(exc):
                raise
    user.display_name = f"{wanted[:80]} #{secrets.token_hex(3)}"
    with transaction.atomic():
        user.save(update_fields=fields)


def name_unnamed_account(user: CustomUser, name: str) -> None:
    """An account without a display name (made by the bot or a slash command) takes ``name``
    (the member's Discord name); a name the player chose or got at sign-in is never replaced.
    The player changes it later with PATCH /api/v1/user/profile/."""
    name = clean_name(name)[:100]
    if not name or user.display_name or user.display_name_chosen:
        return
    save_with_free_name(user, ["display_name"], wanted=name)


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
    display_name = clean_name(identity.display_name or identity.username)[:100] or identity.username[:100]
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
    wanted = user.display_name
    try:
        with transaction.atomic():
            user.save(update_fields=changed)
        return
    except IntegrityError as exc:
        if not is_name_clash(exc):
            if "username" not in changed:
                raise
            # Another account holds that username (a local account, or a Discord user who renamed):
            # keep it unique with a random suffix (not the Discord id: usernames are public).
            user.username = f"{identity.username[: USERNAME_MAX - 9]}_{secrets.token_hex(4)}"
    # Another player is shown under this Discord name: the same name with a suffix.
    save_with_free_name(user, changed, wanted=wanted or user.username)
