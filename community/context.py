"""What every Discord command handler gets and gives: who sent the interaction and from where
(``Context``), a message answer (``reply``) and a refusal that exists only on Discord
(``Refused``). Shared by the dispatcher (interactions.py) and the command modules it routes to
(quest_commands.py)."""

from __future__ import annotations

import re
from typing import Any

from core.clients.discord import application_id
from core.exceptions import DiscordRefused, InvalidInteraction
from core.services.discord import members
from users.models import CustomUser

CHANNEL_MESSAGE = 4  # Discord's interaction response type
FOLLOW_UP_TOKEN = re.compile(r"^[A-Za-z0-9_.-]{1,500}$")
SNOWFLAKE = re.compile(r"^[0-9]{17,20}$")


class Refused(DiscordRefused):
    """A refusal that only exists on Discord (never an HTTP answer): its message is the player's
    text, with %(...)s filled from ``details`` (the registered code ``discord_refused``)."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message, **details)


class Context:
    """Who sent the interaction, from where."""

    def __init__(self, interaction: dict[str, Any]) -> None:
        self.interaction = interaction
        member = interaction.get("member")
        user = member.get("user") if isinstance(member, dict) else interaction.get("user")
        if not isinstance(user, dict) or "id" not in user:
            raise InvalidInteraction("The interaction names no user.")
        self.discord_user: dict[str, Any] = user
        self.guild_id = interaction.get("guild_id") if isinstance(interaction.get("guild_id"), str) else None
        self.id = str(interaction.get("id") or "")[:240]
        self.token = str(interaction.get("token", ""))
        self.application_id = str(interaction.get("application_id") or application_id())
        data = interaction.get("data")
        resolved = data.get("resolved") if isinstance(data, dict) else None
        users = resolved.get("users") if isinstance(resolved, dict) else None
        self.resolved_users: dict[str, Any] = users if isinstance(users, dict) else {}

    def can_follow_up(self) -> bool:
        """Whether a deferred answer could be finished (the follow-up URL needs both)."""
        return bool(FOLLOW_UP_TOKEN.match(self.token) and SNOWFLAKE.match(self.application_id))

    def account(self, *, create: bool = False) -> CustomUser | None:
        user = members.account_for(self.discord_user, create=create)
        members.remember_member(self.guild_id, user)
        return user


def reply(data: dict[str, Any]) -> dict[str, Any]:
    return {"type": CHANNEL_MESSAGE, "data": data}
