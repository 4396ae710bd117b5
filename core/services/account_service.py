"""A player's own account: their display name, and erasing the account (GDPR Art. 17).

Erasure removes every personal datum and keeps what other players' standings rest on: the
ledger and the closed seasons' results stay, under a pseudonymous row (``erased-<id>``), so no
final rank of anyone else moves. The player leaves the boards of the seasons still open and the
all-time boards; every session, app token and linked account stops working at once.
"""

from __future__ import annotations

import unicodedata

from django.core import signing
from django.db import transaction

from core.exceptions import ConfirmationInvalid, ConfirmationRequired, InvalidDisplayName
from core.services import strava_service
from core.services.seasons import rank_index
from core.services.seasons.lifecycle import ScoreState
from core.utils.dates import utc_now
from layers.models import EventParticipation
from seasons.models import Season, SeasonScore
from users.models import CustomUser
from xp.models import XPEntry

DISPLAY_NAME_MIN, DISPLAY_NAME_MAX = 2, 32
ERASURE_SALT = "igoultra.account-erasure"
ERASURE_CONFIRMATION_SECONDS = 600


def set_display_name(*, user: CustomUser, display_name: object) -> CustomUser:
    """Set the name shown on boards and profiles; ``None`` goes back to the Discord name.

    Raises InvalidDisplayName: 2-32 characters, no leading or trailing whitespace (nothing is
    trimmed silently), no control or format characters."""
    if display_name is None:
        user.display_name, user.display_name_chosen = "", False
    elif (
        not isinstance(display_name, str)
        or not DISPLAY_NAME_MIN <= len(display_name) <= DISPLAY_NAME_MAX
        or display_name != display_name.strip()
        or any(unicodedata.category(ch) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for ch in display_name)
    ):
        raise InvalidDisplayName(min_length=DISPLAY_NAME_MIN, max_length=DISPLAY_NAME_MAX)
    else:
        user.display_name, user.display_name_chosen = display_name, True
    user.save(update_fields=["display_name", "display_name_chosen"])
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
        EventParticipation.objects.filter(user=user, event__ends_at__gt=now).delete()  # frees the seats
        XPEntry.objects.filter(user=user).exclude(note="").update(note="")  # free text may be personal
        _unlink_accounts(user)
        strava_service.forget_player(user=user)
        user.username = f"erased-{user.pk}"
        user.email = user.first_name = user.last_name = user.display_name = user.avatar_url = ""
        user.display_name_chosen = False
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


def _unlink_accounts(user: CustomUser) -> None:
    from allauth.socialaccount.models import SocialAccount

    SocialAccount.objects.filter(user=user).delete()  # with their stored tokens
