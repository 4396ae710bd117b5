"""A player's own account: their display name, and erasing the account (GDPR Art. 17).

Erasure removes every personal datum and keeps what other players' standings rest on: the
ledger and the closed seasons' results stay, under a pseudonymous row (``erased-<id>``), so no
final rank of anyone else moves. What happens to each model is listed in core/personal_data.py. The player leaves the boards of the seasons still open and the
all-time boards; every session, app token and linked account stops working at once.
"""

from __future__ import annotations

from django.apps import apps
from django.core import signing
from django.db import IntegrityError, transaction

from community.models import DiscordLink
from core.exceptions import ConfirmationInvalid, ConfirmationRequired, DisplayNameTaken, InvalidDisplayName
from core.personal_data import DELETE, PERSONAL_DATA
from core.services.accounts import user_service
from core.services.claims import submission as claims_submission
from core.services.layers import layer_service
from core.services.seasons import rank_index
from core.services.seasons.lifecycle import ScoreState
from core.services.strava import strava_service
from core.utils.dates import utc_now
from core.utils.jobs import defer_job
from quests.models import QuestParticipation
from seasons.models import Season, SeasonScore
from users.models import CustomUser
from xp.models import XPEntry

DISPLAY_NAME_MIN, DISPLAY_NAME_MAX = 2, 32
ERASURE_SALT = "igoultra.account-erasure"
ERASURE_CONFIRMATION_SECONDS = 600


def is_acceptable_name(name: str) -> bool:
    """2-32 characters, no leading or trailing whitespace, no control, format, private-use,
    unassigned or invisible characters, and no whitespace but the plain space."""
    return (
        DISPLAY_NAME_MIN <= len(name) <= DISPLAY_NAME_MAX
        and name == name.strip()
        and not any(user_service.is_refused_character(ch) for ch in name)
    )


def set_display_name(*, user: CustomUser, display_name: object) -> CustomUser:
    """Set the name shown on boards and profiles; ``None`` goes back to the Discord name.

    Raises InvalidDisplayName (``is_acceptable_name``; nothing is trimmed silently) and
    DisplayNameTaken (another player is shown under the same name, compared case-insensitively
    after NFKC; the database's unique index decides races)."""
    if display_name is None:
        user.display_name, user.display_name_chosen = "", False
    elif not isinstance(display_name, str) or not is_acceptable_name(display_name):
        raise InvalidDisplayName(min_length=DISPLAY_NAME_MIN, max_length=DISPLAY_NAME_MAX)
    else:
        if user_service.name_taken(display_name, exclude_pk=user.pk):
            raise DisplayNameTaken()
        user.display_name, user.display_name_chosen = display_name, True
    try:
        with transaction.atomic():
            user.save(update_fields=["display_name", "display_name_chosen"])
    except IntegrityError as exc:
        if not user_service.is_name_clash(exc):
            raise
        user.refresh_from_db(fields=["display_name", "display_name_chosen"])
        raise DisplayNameTaken() from None
    return user


def erasure_confirmation(user: CustomUser) -> str:
    """A token that confirms erasing ``user`` within ten minutes."""
    return signing.dumps({"user": user.pk}, salt=ERASURE_SALT)


def erase_account(*, user: CustomUser, confirmation_token: str | None) -> None:
    """Erase ``user``'s account. Without a valid confirmation token, raises
    ConfirmationRequired (carrying a fresh token) or ConfirmationInvalid; changes nothing then."""
    if not confirmation_token:
        raise ConfirmationRequired(
            confirmation_token=erasure_confirmation(user), expires_in=ERASURE_CONFIRMATION_SECONDS
        )
    try:
        claims = signing.loads(confirmation_token, salt=ERASURE_SALT, max_age=ERASURE_CONFIRMATION_SECONDS)
    except signing.BadSignature:
        raise ConfirmationInvalid() from None
    if not isinstance(claims, dict) or claims.get("user") != user.pk:
        raise ConfirmationInvalid()
    now = utc_now()
    with transaction.atomic():
        user = CustomUser.objects.select_for_update().get(pk=user.pk)
        open_scores = list(SeasonScore.objects.filter(user=user, season__status=Season.OPEN))
        SeasonScore.objects.filter(pk__in=[s.pk for s in open_scores]).delete()
        layer_service.release_seats(user=user, now=now)  # participant_count given back
        XPEntry.objects.filter(user=user).exclude(note="").update(note="")  # free text may be personal
        _forget_discord_link(user)
        claims_submission.forget_player(user=user)  # claims first: the order claim decisions lock in
        strava_service.forget_player(user=user)
        QuestParticipation.objects.filter(user=user).delete()
        QuestParticipation.objects.filter(reviewed_by=user).update(reviewed_by=None)
        _delete_rows(user)  # every model core/personal_data.py marks DELETE
        user.username = f"erased-{user.pk}"
        user.email = user.first_name = user.last_name = user.display_name = user.avatar_url = ""
        user.display_name_chosen = False
        user.timezone, user.streak_reminders = "UTC", False
        user.discord_id = None  # the same Discord user signing in later gets a new account
        user.is_active = False  # every session and app token stops at once (both check it)
        user.is_staff = user.is_superuser = False
        user.erased_at = now
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        # Off the open boards in Redis too: a newer version with no XP removes the member.
        rank_index.reindex_on_commit(
            [ScoreState(user.pk, s.season_id, s.mode, 0, s.league, s.reached_at, s.version + 1) for s in open_scores]
        )


def _delete_rows(user: CustomUser) -> None:
    """Delete the player's rows of every model the registry marks DELETE, by each of its foreign
    keys to the user model (a model added to the registry is erased without more code here)."""
    for label, handling in PERSONAL_DATA.items():
        if handling.erase != DELETE:
            continue
        model = apps.get_model(label)
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is CustomUser:
                model._default_manager.filter(**{field.name: user}).delete()


FORGET_DISCORD_LINK_TASK = "community.tasks.forget_discord_link"


def _forget_discord_link(user: CustomUser) -> None:
    """Delete the Linked Roles authorisation; a job (after commit, retried) clears the role
    connection at Discord and revokes the tokens, which it gets still encrypted."""

    link = DiscordLink.objects.filter(user=user).first()
    if link is None:
        return
    tokens = {
        "access_token_encrypted": link.access_token_encrypted,
        "refresh_token_encrypted": link.refresh_token_encrypted,
    }
    link.delete()
    if link.revoked_at is None:  # a revoked link has nothing left to clear at Discord
        defer_job(FORGET_DISCORD_LINK_TASK, **tokens)
