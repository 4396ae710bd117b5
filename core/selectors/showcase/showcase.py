"""Reads for the public showcase: the facts a rank card shows, the community page's boards,
name search and upcoming events, and a player's public page. Only players who are public,
active and not erased are ever returned (``shown_players``): a hidden player shows nowhere here.

The card and the player page read ``CardFacts``, filled in one place (``card_facts``): a new line
on the card (a streak, the latest badges) is one field here and one draw call in showcase/card.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, QuerySet

from core.constants.modes import MODES
from core.selectors.accounts.account import past_seasons
from core.selectors.accounts.profile import profile_summary
from core.selectors.achievements.achievements import latest_badges, profile_extras
from core.selectors.seasons import rank_keys as rk
from core.selectors.seasons.leaderboard import Row, database_rank, leaderboard
from core.utils.dates import season_id_for, utc_now
from layers.models import Event
from quests.models import Quest
from seasons.models import SeasonScore
from ultrabackend import redis as r
from users.models import CustomUser

BOARD_SIZE = 50  # rows on the community page per mode
SEARCH_LIMIT = 20
SEARCH_MIN, SEARCH_MAX = 2, 50  # characters of a name search
EVENTS_SHOWN = 10
HIDDEN_SLACK = 10  # board rows read beyond BOARD_SIZE to fill the places of hidden players


def shown_players() -> QuerySet[CustomUser]:
    """Accounts a public page may show: public, active, not erased."""
    return CustomUser.objects.filter(public=True, is_active=True, erased_at__isnull=True)


@dataclass(frozen=True)
class Badge:
    code: str
    name: str


@dataclass(frozen=True)
class CardFacts:
    """Everything a rank card shows for one player and mode (plain values: the card's ETag
    is a hash of them)."""

    user_id: int
    display_name: str
    discord_id: str | None
    avatar_url: str | None
    mode: str
    level: int
    xp_into_level: int
    xp_for_next_level: int | None
    progress: float
    total_xp: int
    mode_xp: int
    season_id: str
    season_xp: int
    season_rank: int | None
    league: str
    layer_code: str
    layer_name: str
    # Filled once streaks (issue 26) and achievements exist: the card draws the line / row when set.
    streak: int | None = None
    badges: tuple[Badge, ...] = field(default_factory=tuple)

    def fingerprint(self) -> str:
        return repr(self)


def public_player(user_id: int) -> CustomUser | None:
    """The account behind a public page or card; None when missing or not shown."""
    if not 0 < user_id < 2**63:  # a path's <int:...> has no upper bound; a bigint does
        return None
    return shown_players().filter(pk=user_id).first()


def facts_from_summary(
    summary: dict[str, Any], mode: str, streak: int | None = None, badges: tuple[Badge, ...] = ()
) -> CardFacts:
    level = summary["level"]
    layer = summary["layers"][mode]
    season = summary["season"]
    return CardFacts(
        user_id=summary["id"],
        display_name=summary["display_name"],
        discord_id=summary["discord_id"],
        avatar_url=summary["avatar_url"],
        mode=mode,
        level=level["current"],
        xp_into_level=level["xp_into_level"],
        xp_for_next_level=level["xp_for_next_level"],
        progress=float(level["progress"]),
        total_xp=summary["xp"]["total"],
        mode_xp=summary["xp"][mode],
        season_id=season["id"],
        season_xp=season[mode]["xp"],
        season_rank=season[mode]["rank"],
        league=summary["leagues"][mode],
        layer_code=layer["code"],
        layer_name=layer["name"],
        streak=streak or None,
        badges=badges,
    )


def _recognition(user: CustomUser) -> tuple[dict[str, int], tuple[Badge, ...]]:
    """The current streak per mode and the latest badges (two queries)."""
    streaks = {mode: each["current"] for mode, each in profile_extras(user)["streaks"].items()}
    return streaks, tuple(Badge(key, name) for key, name in latest_badges(user))


def card_facts(user_id: int, mode: str) -> CardFacts | None:
    """What the rank card of ``user_id`` shows for ``mode``; None when the player is not shown."""
    user = public_player(user_id)
    if user is None:
        return None
    streaks, badges = _recognition(user)
    return facts_from_summary(profile_summary(user), mode, streaks.get(mode), badges)


@dataclass
class PlayerPage:
    user: CustomUser
    cards: dict[str, CardFacts]
    seasons: list[dict[str, Any]]


def player_page(user_id: int) -> PlayerPage | None:
    """A player's public page: both modes' facts and their closed seasons; None when not shown."""
    user = public_player(user_id)
    if user is None:
        return None
    summary = profile_summary(user)
    streaks, badges = _recognition(user)
    return PlayerPage(
        user=user,
        cards={mode: facts_from_summary(summary, mode, streaks.get(mode), badges) for mode in MODES},
        seasons=past_seasons(user),
    )


def community_board(mode: str, *, season_id: str | None = None, size: int = BOARD_SIZE) -> list[Row]:
    """The top of this season's overall board for the community page, without hidden players.

    Ranks are the board's own (a hidden player keeps their place: the row after them shows the
    next rank), read from the Redis index when it is ready, like the API's boards."""
    season_id = season_id or season_id_for(utc_now())
    # A few rows more, so hidden players near the top do not shorten the list (a page of the
    # index and one statement for its players, like the API's).
    board = leaderboard(season_id=season_id, mode=mode, league=None, offset=0, limit=size + HIDDEN_SLACK, me_id=None)
    ids = [row.user_id for row in board.rows]
    shown = set(shown_players().filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [row for row in board.rows if row.user_id in shown][:size]


@dataclass(frozen=True)
class SearchHit:
    user_id: int
    display_name: str
    level: int
    season: dict[str, tuple[int, int | None]]  # mode -> (season XP, rank)


_SEARCH = f"""
SELECT id FROM (
  (SELECT u.id, UPPER(u.display_name) COLLATE "C" AS k FROM {CustomUser._meta.db_table} u
    WHERE UPPER(u.display_name) COLLATE "C" LIKE UPPER(%(pattern)s) AND {{shown}}
    ORDER BY 2 LIMIT %(limit)s)
  UNION ALL
  (SELECT u.id, UPPER(u.username) COLLATE "C" FROM {CustomUser._meta.db_table} u
    WHERE UPPER(u.username) COLLATE "C" LIKE UPPER(%(pattern)s) AND {{shown}}
    ORDER BY 2 LIMIT %(limit)s)
) matches ORDER BY k, id""".format(shown="u.public AND u.is_active AND u.erased_at IS NULL")


def like_prefix(text: str) -> str:
    """A LIKE pattern for "starts with ``text``" (its own % and _ are plain characters)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_players(query: str, *, season_id: str | None = None) -> list[SearchHit]:
    """Shown players whose display name or username starts with ``query`` (case-insensitive),
    with this season's XP and rank per mode; at most SEARCH_LIMIT, by name.

    Each name is an index range read in order (migration users/0003), so a prefix that a million
    players share costs what a rare one does."""
    query = query.strip()[:SEARCH_MAX]
    if len(query) < SEARCH_MIN:
        return []
    season_id = season_id or season_id_for(utc_now())
    with connection.cursor() as cursor:
        cursor.execute(_SEARCH, {"pattern": like_prefix(query), "limit": SEARCH_LIMIT})
        ids = list(dict.fromkeys(row[0] for row in cursor.fetchall()))[:SEARCH_LIMIT]
    found = {u.pk: u for u in CustomUser.objects.filter(pk__in=ids).select_related("profile")}
    users = [found[i] for i in ids if i in found]
    scores: dict[tuple[int, str], int] = {
        (user_id, mode): xp
        for user_id, mode, xp in SeasonScore.objects.filter(season_id=season_id, user_id__in=ids).values_list(
            "user_id", "mode", "xp"
        )
    }
    ranks = ranks_of_many(season_id, scores)
    hits = []
    for user in users:
        profile = getattr(user, "profile", None)
        hits.append(
            SearchHit(
                user_id=user.pk,
                display_name=user.public_name,
                level=profile.level if profile is not None else 1,
                season={mode: (scores.get((user.pk, mode), 0), ranks.get((user.pk, mode))) for mode in MODES},
            )
        )
    return hits


def ranks_of_many(season_id: str, scores: dict[tuple[int, str], int]) -> dict[tuple[int, str], int | None]:
    """Ranks on the overall season boards of several (player, mode) scores: one Redis pipeline
    when the boards' index is ready, PostgreSQL otherwise (as ``ranks_for``, for many at once)."""
    wanted = {key: xp for key, xp in scores.items() if xp > 0}
    ranks: dict[tuple[int, str], int | None] = {}
    client = r.get_redis()
    if client is not None and wanted:
        try:
            pipe = client.pipeline(transaction=False)
            for mode in MODES:
                pipe.exists(rk.ready_key(season_id, mode))
            for (_, mode), xp in wanted.items():
                pipe.zcount(rk.board_key(season_id, mode), f"({xp}", "+inf")
            answers = pipe.execute()
            ready = dict(zip(MODES, answers[: len(MODES)], strict=True))
            for (key, _), count in zip(wanted.items(), answers[len(MODES) :], strict=True):
                if ready[key[1]]:
                    ranks[key] = int(count) + 1
        except r.REDIS_ERRORS:
            ranks = {}
    for (user_id, mode), xp in wanted.items():
        if (user_id, mode) not in ranks:
            ranks[(user_id, mode)] = database_rank(season_id, mode, xp)
    return ranks


@dataclass(frozen=True)
class UpcomingEvent:
    id: int
    name: str
    kind: str
    mode: str
    required_layer: str
    starts_at: datetime
    ends_at: datetime
    running: bool


@dataclass(frozen=True)
class OpenChallenge:
    pk: int
    title: str
    mode: str
    activity: str | None
    target: Decimal
    reward_xp: int
    ends_at: datetime
    players: int


def open_challenges(*, limit: int = EVENTS_SHOWN) -> list[OpenChallenge]:
    """Published challenges that have started and not ended, soonest deadline first, with how
    many players joined (one query)."""
    now = utc_now()
    challenges = (
        Quest.objects.filter(kind=Quest.CHALLENGE, is_published=True, starts_at__lte=now, ends_at__gt=now)
        .select_related("activity")
        .annotate(players=Count("participations"))
        .order_by("ends_at", "id")[:limit]
    )
    return [
        OpenChallenge(
            q.pk, q.title, q.mode, q.activity.name if q.activity else None, q.target, q.reward_xp, q.ends_at, q.players
        )
        for q in challenges
    ]


def upcoming_events(*, limit: int = EVENTS_SHOWN) -> list[UpcomingEvent]:
    """Published events and dungeons that have not ended, soonest first."""
    now = utc_now()
    events = Event.objects.filter(is_published=True, ends_at__gt=now).order_by("starts_at", "id")[:limit]
    return [
        UpcomingEvent(e.pk, e.name, e.kind, e.mode, e.required_layer, e.starts_at, e.ends_at, e.starts_at <= now)
        for e in events
    ]
