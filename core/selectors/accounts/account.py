"""Reads about the signed-in player's own account: past seasons and the personal-data export."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from achievements.models import SeasonTrophy
from community.models import DiscordLink
from core.personal_data import PERSONAL_DATA
from core.selectors.accounts.profile import profile_summary
from core.selectors.strava.strava import strava_personal_data
from layers.models import EventParticipation, LayerChange
from seasons.models import SeasonResult, SeasonScore
from users.models import CustomUser
from xp.models import XPEntry


def past_seasons(user: CustomUser, *, mode: str | None = None) -> list[dict[str, Any]]:
    """Every closed season the player has a result in, newest first: final rank (within the
    cohort, or the league board before cohorts), the cohort, XP, league before and after, movement."""
    results = SeasonResult.objects.filter(user=user).select_related("season", "cohort").order_by("-season_id", "mode")
    if mode is not None:
        results = results.filter(mode=mode)
    trophies = season_trophies(user)
    return [
        {
            "season": result.season_id,
            "mode": result.mode,
            "rank": result.rank,
            "cohort_rank": result.rank if result.cohort_id and result.xp > 0 else None,
            "cohort": (
                {"id": result.cohort.pk, "number": result.cohort.number, "league": result.cohort.league}
                if result.cohort
                else None
            ),
            "xp": result.xp,
            "league": result.league,
            "new_league": result.new_league,
            "movement": result.movement,
            "closed_at": result.season.closed_at,
            "trophies": trophies.get((result.season_id, result.mode), []),
        }
        for result in results
    ]


def _rows(label: str, user: CustomUser, omit: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows of ``label`` that point at ``user`` by any foreign key, every concrete field but ``omit``."""
    from django.db.models import Q

    model = apps.get_model(label)
    keys = [f.name for f in model._meta.concrete_fields if f.is_relation and f.related_model is CustomUser]
    match = Q()
    for key in keys:
        match |= Q(**{key: user})
    fields = [f.attname for f in model._meta.concrete_fields if f.name not in omit]
    return list(model._default_manager.filter(match).order_by("pk").values(*fields))


def discord_link_data(user: CustomUser) -> dict[str, Any] | None:
    """The Linked Roles authorisation (the tokens are held encrypted and never shown)."""

    link = DiscordLink.objects.filter(user=user).first()
    if link is None:
        return None
    return {
        "discord_id": link.discord_id,
        "scope": link.scope,
        "linked_at": link.linked_at,
        "expires_at": link.expires_at,
        "pushed_metadata": link.pushed_metadata,
        "pushed_at": link.pushed_at,
        "revoked_at": link.revoked_at,
        "tokens": "held encrypted (access and refresh token); revoked at Discord when the account is erased",
    }


def season_trophies(user: CustomUser) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """The player's season trophies by (season, mode): the whole board's podium (league None)
    and the league board's."""

    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for season_id, mode, league, rank in SeasonTrophy.objects.filter(user=user).values_list(
        "season_id", "mode", "league", "rank"
    ):
        found.setdefault((season_id, mode), []).append({"league": league or None, "rank": rank})
    return found


def personal_data(user: CustomUser) -> dict[str, Any]:
    """Every personal datum the backend holds about ``user`` (GDPR Art. 15 and 20), as JSON-ready
    values: one key per entry of core/personal_data.py."""
    document = _shaped_personal_data(user)
    for label, handling in PERSONAL_DATA.items():
        if handling.rows:
            document[handling.export] = _rows(label, user, handling.omit)
    return document


def _shaped_personal_data(user: CustomUser) -> dict[str, Any]:
    from allauth.socialaccount.models import SocialAccount

    return {
        "account": {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "avatar_url": user.avatar_url or None,
            "email": user.email or None,
            "discord_id": user.discord_id,
            "display_name_chosen": user.display_name_chosen,
            "first_name": user.first_name or None,
            "last_name": user.last_name or None,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
        },
        "profile": profile_summary(user),
        "linked_accounts": [
            {
                "provider": a.provider,
                "uid": a.uid,
                "date_joined": a.date_joined,
                "last_login": a.last_login,
                "extra_data": a.extra_data,
            }
            for a in SocialAccount.objects.filter(user=user).order_by("pk")
        ],
        "discord_link": discord_link_data(user),
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
