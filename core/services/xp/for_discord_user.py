"""XP for a Discord user named by a service (the bot, Discord slash commands): the account is
found, or created together with its first award, so a refused award leaves no account behind."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from core.exceptions import AccountDisabled
from core.services.accounts import user_service
from core.services.claims import report_activity
from core.services.xp.results import Award

if TYPE_CHECKING:
    from core.services.claims import Held
    from users.models import CustomUser, ServiceAPIKey
    from xp.models import ActivityType


def award_xp_to_discord_user(
    *,
    discord_id: str,
    activity: ActivityType | str,
    units: Decimal,
    source: str,
    api_key: ServiceAPIKey | None = None,
    idempotency_key: str | None = None,
    note: str = "",
    mode: str | None = None,
    proof_url: str = "",
) -> tuple[CustomUser, Award | Held]:
    """The award of ``award_xp`` for the account of ``discord_id`` (made when missing).

    Raises InvalidDiscordId, AccountDisabled (a deactivated account gets no XP) and what
    ``award_xp`` raises; in that case an account made for this award is rolled back with it. An
    implausible report is held for review (a claim, ``Held``) like any player's (docs/domain.md).
    """

    def award(user: CustomUser) -> Award | Held:
        return report_activity(
            user=user,
            activity=activity,
            units=units,
            source=source,
            api_key=api_key,
            idempotency_key=idempotency_key,
            note=note,
            mode=mode,
            proof_url=proof_url,
        )

    user = user_service.find_discord_user(discord_id=discord_id)
    if user is not None:
        if not user.is_active:
            raise AccountDisabled(discord_id=discord_id)
        return user, award(user)
    with transaction.atomic():
        user, _ = user_service.get_or_create_discord_user(discord_id=discord_id)
        if not user.is_active:  # made by a racing request and deactivated meanwhile
            raise AccountDisabled(discord_id=discord_id)
        return user, award(user)
