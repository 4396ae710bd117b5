"""The community pages: server-rendered HTML (Django templates, no JavaScript), public, cacheable.

They read the same selectors as the API (the boards from the Redis rank index when it is ready)
and show only public players. ``COMMUNITY_PAGES_ENABLED=False`` answers 404 on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from core.constants.modes import MODES
from core.selectors.showcase.showcase import (
    SEARCH_MAX,
    SEARCH_MIN,
    community_board,
    open_challenges,
    player_page,
    search_players,
    upcoming_events,
)
from core.utils.dates import season_id_for, utc_now

CACHE_CONTROL = "public, max-age=30"


def players_url() -> str:
    """The player pages' common prefix (one reverse per page, not one per row)."""
    return reverse("community-player", args=[1]).removesuffix("1/")


def community_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET/HEAD only, 404 when the pages are switched off, cacheable by browsers and proxies."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.COMMUNITY_PAGES_ENABLED:
            raise Http404("community pages are switched off")
        response = view(request, *args, **kwargs)
        response["Cache-Control"] = CACHE_CONTROL
        return response

    return wrapper


def card_url(request: HttpRequest, user_id: int, mode: str, theme: str = "dark") -> str:
    return request.build_absolute_uri(reverse("user-card", args=[user_id])) + f"?mode={mode}&theme={theme}"


@community_page
def index(request: HttpRequest) -> HttpResponse:
    """This season's boards per mode (top 50), a name search, the open challenges and the upcoming events."""
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    season_id = season_id_for(utc_now())
    context = {
        "season_id": season_id,
        "boards": [(mode, community_board(mode, season_id=season_id)) for mode in MODES],
        "query": query,
        "query_too_short": bool(query) and len(query) < SEARCH_MIN,
        "hits": search_players(query, season_id=season_id) if query else [],
        "search_min": SEARCH_MIN,
        "events": upcoming_events(),
        "challenges": open_challenges(),
        "page_url": request.build_absolute_uri(reverse("community-index")),
        "players_url": players_url(),
    }
    return render(request, "showcase/community.html", context)


@community_page
def player(request: HttpRequest, user_id: int) -> HttpResponse:
    """A public player's card, standing per mode and closed seasons; 404 for a hidden player."""
    page = player_page(user_id)
    if page is None:
        return render(request, "showcase/not_found.html", status=404)
    cards = [(mode, page.cards[mode], card_url(request, user_id, mode)) for mode in MODES]
    context = {
        "page": page,
        "name": page.cards[MODES[0]].display_name,
        "cards": cards,
        "og_image": cards[0][2],
        "season_id": page.cards[MODES[0]].season_id,
        "page_url": request.build_absolute_uri(reverse("community-player", args=[user_id])),
        "players_url": players_url(),
    }
    return render(request, "showcase/player.html", context)
