"""The domain-event consumer of the Discord features (listed in DOMAIN_EVENT_CONSUMERS).

``handle_event(event)`` gets an object with ``.type``, ``.user_id``, ``.data``, ``.id`` and
``.created_at``; ``data`` carries ``user`` ({id, discord_id, display_name}) and the facts
(``from``, ``to``, ``mode``, ``season``, ...). It only defers jobs (announcements, the role
connection), so it is quick and commits with whatever transaction it runs in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q

from community import embeds, outbox
from community.models import AnnouncementChannel, DiscordLink, GuildMember
from core.constants.leagues import LEAGUES
from core.constants.modes import MODES
from core.selectors.seasons.leaderboard import leaderboard
from core.selectors.xp.activity_catalogue import cached_activity
from core.services.discord import linked_roles
from users.models import CustomUser

logger = logging.getLogger(__name__)

# Changes that move a Linked Roles value (level, a layer, a league).
ROLE_CONNECTION_EVENTS = {"level_up", "layer_up", "layer_down", "league_changed", "correction"}
CLAIM_EVENTS = ("claim_submitted", "claim_decided")


def handle_event(event: Any) -> None:
    """Defer the announcements and the role-connection push an event calls for (quick: a few
    small queries and inserts into the Discord outbox, community/outbox.py; no Discord call)."""
    kind = str(getattr(event, "type", ""))
    data = getattr(event, "data", None) or {}
    user_id = getattr(event, "user_id", None)
    if kind == "season_closed":
        _announce_season(data)
        return
    if kind == "boost_started":
        channels = AnnouncementChannel.objects.filter(is_active=True, boosts=True).values_list("pk", flat=True)
        outbox.announce(channels, embeds.boost_announcement(data), key=f"event:{event.id}")
        return
    if user_id is None:
        return
    if kind in ROLE_CONNECTION_EVENTS and DiscordLink.objects.filter(user_id=user_id, revoked_at__isnull=True).exists():
        linked_roles.defer_role_connection(int(user_id))
    announcement = _announcement(kind, event, data)
    if announcement is None:
        return
    flag, embed = announcement
    outbox.announce(_channels_for(int(user_id), flag), embed, key=f"event:{event.id}", user_id=int(user_id))


def _name(event: Any, data: dict[str, Any]) -> str:
    """The player's public name: from the event's data, else from the account."""
    named = data.get("user")
    if isinstance(named, dict) and named.get("display_name"):
        return str(named["display_name"])
    user = getattr(event, "user", None)
    if user is None:
        user = CustomUser.objects.filter(pk=event.user_id).first()
    return user.public_name if user is not None else "A player"


def _announcement(kind: str, event: Any, data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    builders: dict[str, tuple[str, Callable[[str, dict[str, Any]], dict[str, Any]]]] = {
        "level_up": ("level_ups", embeds.level_up_announcement),
        "layer_up": ("layer_ups", embeds.layer_up_announcement),
        "achievement_unlocked": ("achievements", embeds.achievement_announcement),
        "streak_milestone": ("achievements", embeds.streak_milestone_announcement),
        "quest_completed": ("quests", embeds.quest_completed_announcement),
    }
    if kind == "league_changed":
        if not _is_promotion(data):
            return None  # demotions are not announced
        return "promotions", embeds.promotion_announcement(_name(event, data), data)
    if kind in CLAIM_EVENTS:
        if data.get("via") not in (None, "community", "moderator"):
            return None  # withdrawn (a changed Strava activity) or erased: nothing to tell
        build_claim = (
            embeds.claim_submitted_announcement if kind == "claim_submitted" else embeds.claim_decided_announcement
        )
        activity = cached_activity(data["activity"]) if isinstance(data.get("activity"), str) else None
        return "claims", build_claim(_name(event, data), data, activity)
    if kind not in builders:
        return None
    flag, build = builders[kind]
    return flag, build(_name(event, data), data)


def _is_promotion(data: dict[str, Any]) -> bool:
    before, after = data.get("from"), data.get("to")
    return before in LEAGUES and after in LEAGUES and LEAGUES.index(after) > LEAGUES.index(before)


def _channels_for(user_id: int, flag: str) -> list[int]:
    """Active channels that want this kind of news about this player: servers where the player
    was seen, and servers that announce every player."""
    member = GuildMember.objects.filter(guild_id=OuterRef("guild_id"), user_id=user_id)
    return list(
        AnnouncementChannel.objects.filter(is_active=True, **{flag: True})
        .filter(Q(members_only=False) | Q(Exists(member)))
        .values_list("pk", flat=True)
    )


def _announce_season(data: dict[str, Any]) -> None:
    season_id = data.get("season") or data.get("season_id")
    if not isinstance(season_id, str):
        logger.warning("season_closed without a season: %r", data)
        return
    channels = list(AnnouncementChannel.objects.filter(is_active=True, season_top=True).values_list("pk", flat=True))
    if channels:
        outbox.announce(channels, season_top_embed(season_id), key=f"season-top:{season_id}")


def season_top_embed(season_id: str) -> dict[str, Any]:
    """The closed season's top 3 of each mode, read from its final boards."""
    boards = {
        mode: leaderboard(season_id=season_id, mode=mode, league=None, offset=0, limit=3, me_id=None).rows
        for mode in MODES
    }
    return embeds.season_top_announcement(season_id, boards)


# The types this consumer is handed (the events app hands a consumer only what it declares).
handle_event.event_types = (  # type: ignore[attr-defined]
    "level_up",
    "layer_up",
    "layer_down",
    "league_changed",
    "correction",
    "season_closed",
    "achievement_unlocked",
    "streak_milestone",
    "boost_started",
    "quest_completed",
    *CLAIM_EVENTS,
)
