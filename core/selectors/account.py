"""Reads about the signed-in player's own account: past seasons and the personal-data export."""

from __future__ import annotations

from typing import Any

from core.selectors.profile import profile_summary
from core.selectors.strava import strava_personal_data
from layers.models import EventParticipation, LayerChange
from seasons.models import SeasonResult, SeasonScore
from users.models import CustomUser
from xp.models import XPEntry


def past_seasons(user: CustomUser, *, mode: str | None = None) -> list[dict[str, Any]]:
    """Every closed season the player has a result in, newest first: final rank (within the
    league board), XP, league before and after, movement."""
    results = SeasonResult.objects.filter(user=user).select_related("season").order_by("-season_id", "mode")
    if mode is not None:
        results = results.filter(mode=mode)
    trophies = season_trophies(user)
    return [
        {
            "season": result.season_id,
            "mode": result.mode,
            "rank": result.rank,
            "xp": result.xp,
            "league": result.league,
            "new_league": result.new_league,
            "movement": result.movement,
            "closed_at": result.season.closed_at,
            "trophies": trophies.get((result.season_id, result.mode), []),
        }
        for result in results
    ]


def season_trophies(user: CustomUser) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The player's season trophies by (season, mode): the whole board's podium (league None)
    and the league board's."""
    from achievements.models import SeasonTrophy

    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for season_id, mode, league, rank in SeasonTrophy.objects.filter(user=user).values_list(
        "season_id", "mode", "league", "rank"
    ):
        found.setdefault((season_id, mode), []).append({"league": league or None, "rank": rank})
    return found


def personal_data(user: CustomUser) -> dict[str, Any]:
    """Every personal datum the backend holds about ``user`` (GDPR Art. 15 and 20), as JSON-ready values."""
    from allauth.socialaccount.models import SocialAccount

    return {
        "account": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "avatar_url": user.avatar_url or None,
            "email": user.email or None,
            "discord_id": user.discord_id,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "profile": profile_summary(user),
        "linked_accounts": [
            {"provider": a.provider, "uid": a.uid, "date_joined": a.date_joined, "last_login": a.last_login}
            for a in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
        "strava": strava_personal_data(user),
        "xp_entries": list(
            XPEntry.objects.filter(user=user)
            .order_by("id")
            .values(
                "id",
                "activity__key",
                "mode",
                "units",
                "xp",
                "source",
                "note",
                "idempotency_key",
                "corrects_id",
                "reason",
                "season_id",
                "created_at",
            )
        ),
        "season_scores": list(
            SeasonScore.objects.filter(user=user)
            .order_by("season_id", "mode")
            .values("season_id", "mode", "xp", "league")
        ),
        "season_results": past_seasons(user),
        "layer_changes": list(
            LayerChange.objects.filter(user=user)
            .order_by("id")
            .values("mode", "from_layer", "to_layer", "reason", "entry_id", "created_at")
        ),
        "event_participations": list(
            EventParticipation.objects.filter(user=user).order_by("id").values("event_id", "event__name", "joined_at")
        ),
    }
