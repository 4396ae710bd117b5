"""The player summary every client shows: XP, level, layers, leagues and this season's standing."""

from __future__ import annotations

from typing import Any

from core.constants.layers import layer_for_xp, next_layer
from core.constants.levels import level_progress
from core.constants.modes import MODES
from core.selectors.seasons.leaderboard import ranks_for
from core.selectors.xp.totals import PlayerIdentity, ProfileTotals
from core.utils.dates import season_id_for, utc_now
from seasons.models import SeasonScore
from users.models import CustomUser
from xp.models import UserProfile


def layer_summary(mode: str, mode_xp: int) -> dict[str, Any]:
    layer = layer_for_xp(mode, mode_xp)
    upcoming = next_layer(layer)
    return {
        "code": layer.code,
        "name": layer.name,
        "order": layer.order,
        "next_code": upcoming.code if upcoming else None,
        "xp_to_next": max(upcoming.min_xp - mode_xp, 0) if upcoming else None,
    }


def totals_for(user: CustomUser) -> ProfileTotals:
    profile = UserProfile.objects.filter(user_id=user.pk).first()
    if profile is None:  # an account made outside the services; it simply has no XP yet
        return ProfileTotals(0, 0, 0, 1, "bronze", "bronze")
    return ProfileTotals.of(profile)


def profile_summary(
    user: CustomUser,
    *,
    totals: ProfileTotals | None = None,
    season_id: str | None = None,
    season_xp: dict[str, int | None] | None = None,
) -> dict[str, Any]:
    """The profile document of API.md. Pass what the caller already knows to save queries."""
    totals = totals or totals_for(user)
    season_id = season_id or season_id_for(utc_now())
    known = dict(season_xp or {})
    if any(known.get(mode) is None for mode in MODES):
        stored = dict(SeasonScore.objects.filter(user_id=user.pk, season_id=season_id).values_list("mode", "xp"))
        known = {mode: known.get(mode) if known.get(mode) is not None else stored.get(mode, 0) for mode in MODES}
    ranks = ranks_for(user.pk, season_id, known)
    return profile_document(
        PlayerIdentity(user.pk, user.username, user.display_name, user.avatar_url, user.discord_id),
        totals,
        season_id,
        {mode: int(known.get(mode) or 0) for mode in MODES},
        ranks,
    )


def profile_document(
    identity: PlayerIdentity,
    totals: ProfileTotals,
    season_id: str,
    season_xp: dict[str, int],
    ranks: dict[str, int | None],
) -> dict[str, Any]:
    """The profile document from values alone (the xp/add hot path has no user object)."""
    level = level_progress(totals.total_xp)
    return {
        "id": identity.user_id,
        "username": identity.username,
        "display_name": identity.display_name or identity.username,
        "avatar_url": identity.avatar_url or None,
        "discord_id": identity.discord_id,
        "xp": {"total": totals.total_xp, "reality": totals.reality_xp, "cyber": totals.cyber_xp},
        "level": {
            "current": level.current,
            "xp_into_level": level.xp_into_level,
            "xp_for_next_level": level.xp_for_next_level,
            "progress": level.progress,
        },
        "layers": {mode: layer_summary(mode, totals.mode_xp(mode)) for mode in MODES},
        "leagues": {"reality": totals.reality_league, "cyber": totals.cyber_league},
        "season": {"id": season_id, **{mode: {"xp": season_xp[mode], "rank": ranks[mode]} for mode in MODES}},
    }
