"""Leaderboard reads: from the Redis index when it is configured, ready and reachable; from the
database otherwise. Both give the same answers: standard competition ranks (1, 2, 2, 4) over
players with XP > 0, ordered by XP, then who reached it first, then user id."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from core.constants.layers import layer_for_xp
from core.constants.modes import MODES
from core.selectors.accounts.session_gate import session_holds
from core.selectors.seasons import rank_keys as rk
from core.utils.dates import utc_now
from seasons.models import RankIndexRepair, SeasonScore
from ultrabackend import redis as r
from users.models import CustomUser
from xp.models import UserProfile

logger = logging.getLogger(__name__)

AROUND = 2  # rows shown above and below the signed-in player


@dataclass
class Row:
    rank: int
    user_id: int
    xp: int
    league: str = ""
    username: str | None = None
    display_name: str | None = None
    avatar_url: str | None = None
    level: int = 1
    layer: str | None = None


@dataclass
class Board:
    season_id: str
    mode: str
    league: str | None
    rows: list[Row]
    has_next: bool
    me: Row | None = None
    around: list[Row] = field(default_factory=list)
    source: str = "database"


def ranked_rows(pairs: list[tuple[int, int]], first_rank: int, first_position: int) -> list[Row]:
    """Rows for consecutive board positions: equal XP shares the rank of the first of its group."""
    rows: list[Row] = []
    for i, (user_id, xp) in enumerate(pairs):
        if i == 0:
            rank = first_rank
        elif xp == rows[-1].xp:
            rank = rows[-1].rank
        else:
            rank = first_position + i + 1
        rows.append(Row(rank=rank, user_id=user_id, xp=xp))
    return rows


_PAGE_LUA = """
if redis.call('EXISTS', KEYS[2]) == 0 then return false end
local function ranked(key, start, stop)
  local rows = redis.call('ZREVRANGE', key, start, stop, 'WITHSCORES')
  local first = 0
  if #rows > 0 then first = redis.call('ZCOUNT', key, '(' .. rows[2], '+inf') + 1 end
  return {first, rows}
end
local page = ranked(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
local me = false
if ARGV[3] ~= '' then
  local cur = redis.call('HGET', KEYS[3], ARGV[3])
  if cur then
    local a = string.find(cur, '|', 1, true)
    local member = string.sub(cur, a + 1, string.find(cur, '|', a + 1, true) - 1)
    local pos = redis.call('ZREVRANK', KEYS[1], member)
    if pos then
      local lo = pos - tonumber(ARGV[4])
      if lo < 0 then lo = 0 end
      local around = ranked(KEYS[1], lo, pos + tonumber(ARGV[4]))
      me = {pos, lo, around[1], around[2]}
    end
  end
end
return {page[1], page[2], me}
"""


def _pairs(flat: list) -> list[tuple[int, int]]:  # type: ignore[type-arg]
    return [(rk.decode_user_id(flat[i]), int(float(flat[i + 1]))) for i in range(0, len(flat), 2)]


def _run_page_script(client, season_id: str, mode: str, league: str | None, offset: int, limit: int, me_id: int | None):  # type: ignore[no-untyped-def]
    return r.script(client, _PAGE_LUA)(
        keys=[rk.board_key(season_id, mode, league), rk.ready_key(season_id, mode), rk.meta_key(season_id, mode)],
        # offset + limit: one extra row tells whether there is a next page
        args=[offset, offset + limit, me_id or "", AROUND],
    )


def _from_redis(
    season_id: str, mode: str, league: str | None, offset: int, limit: int, me_id: int | None
) -> Board | None:
    client = r.get_redis()
    if client is None:
        return None
    try:
        result = _run_page_script(client, season_id, mode, league, offset, limit, me_id)
    except r.REDIS_ERRORS:
        logger.warning("rank index unreachable; serving the leaderboard from the database")
        return None
    if result is None:
        return None  # not ready (Redis restarted empty): the database answers until the repair job ran
    first_rank, flat, me = result
    pairs = _pairs(flat)
    rows = ranked_rows(pairs[:limit], int(first_rank), offset)
    board = Board(season_id, mode, league, rows, has_next=len(pairs) > limit, source="redis")
    if me:
        pos, lo, around_first, around_flat = me
        around = ranked_rows(_pairs(around_flat), int(around_first), int(lo))
        board.around = around
        board.me = next(row for row in around if row.user_id == me_id)
    return board


def _board_qs(season_id: str, mode: str, league: str | None) -> QuerySet[SeasonScore]:
    qs = SeasonScore.objects.filter(season_id=season_id, mode=mode, xp__gt=0)
    return qs.filter(league=league) if league else qs


def _from_database(season_id: str, mode: str, league: str | None, offset: int, limit: int, me_id: int | None) -> Board:
    """The same answers as the index, from PostgreSQL.

    Every rank is "1 + players with more XP than X": one aggregate of index-only range counts
    on the narrow (season, mode[, league], xp) index. A page past the first starts from the XP
    at its offset (found on the narrow index, cheaper to skip than the wide board index), and
    then only skips inside that XP's tie group. My row and neighbours are keyset scans."""
    qs = _board_qs(season_id, mode, league)
    order = ("-xp", "reached_at", "user_id")
    mine = qs.filter(user_id=me_id).values_list("xp", "reached_at").first() if me_id is not None else None
    counts: dict[str, Any] = {}
    floor: list[int] = []
    above: list[tuple[int, int]] = []
    below: list[tuple[int, int]] = []
    if mine is not None:
        xp, reached_at = mine
        ahead_of_me = (
            Q(xp__gt=xp) | Q(xp=xp, reached_at__lt=reached_at) | Q(xp=xp, reached_at=reached_at, user_id__lt=me_id)
        )
        # Nearest rows ahead of me: the board order reversed (a backward index scan from my XP).
        above = list(
            qs.filter(ahead_of_me, xp__gte=xp)
            .order_by("xp", "-reached_at", "-user_id")
            .values_list("user_id", "xp")[:AROUND]
        )
        above.reverse()
        below = list(
            qs.filter(xp__lte=xp)
            .exclude(ahead_of_me)
            .exclude(user_id=me_id)
            .order_by(*order)
            .values_list("user_id", "xp")[:AROUND]
        )
        counts["me_rank"] = Count("xp", filter=Q(xp__gt=xp))
        floor.append(xp)
        if above:
            counts["around_rank"] = Count("xp", filter=Q(xp__gt=above[0][1]))
    page_xp = None
    if offset:
        page_xp = next(iter(qs.order_by("-xp").values_list("xp", flat=True)[offset : offset + 1]), None)
        if page_xp is not None:
            counts["page_rank"] = Count("xp", filter=Q(xp__gt=page_xp))
            floor.append(page_xp)
    totals = qs.filter(xp__gt=min(floor)).aggregate(**counts) if counts else {}
    if not offset:
        page = list(qs.order_by(*order).values_list("user_id", "xp")[: limit + 1])
        first_rank = 1
    elif page_xp is None:
        page, first_rank = [], 0  # past the end of the board
    else:
        skip = offset - totals["page_rank"]  # rows with page_xp before the page
        page = list(qs.filter(xp__lte=page_xp).order_by(*order).values_list("user_id", "xp")[skip : skip + limit + 1])
        first_rank = totals["page_rank"] + 1
    board = Board(season_id, mode, league, ranked_rows(page[:limit], first_rank, offset), has_next=len(page) > limit)
    if mine is not None:
        xp, reached_at = mine
        rank = totals["me_rank"] + 1
        first = totals["around_rank"] + 1 if above else rank
        # My position: everyone with more XP, plus those with my XP who reached it before me
        # (an equality range on the board index).
        ties_ahead = (
            qs.filter(xp=xp).filter(Q(reached_at__lt=reached_at) | Q(reached_at=reached_at, user_id__lt=me_id)).count()
        )
        position = totals["me_rank"] + ties_ahead
        assert me_id is not None  # mine exists only for a signed-in player
        board.around = ranked_rows([*above, (me_id, xp), *below], first, position - len(above))
        board.me = next(row for row in board.around if row.user_id == me_id)
    return board


def leaderboard(*, season_id: str, mode: str, league: str | None, offset: int, limit: int, me_id: int | None) -> Board:
    """One page of a season board, with the signed-in player's rank and neighbours."""
    board = _from_redis(season_id, mode, league, offset, limit, me_id)
    if board is not None:
        players = _shown_players(board, season_id, mode, me_id)
        if players is not None and not players.repair_pending:
            _fill_rows(board, players.found, mode)
            return board
        # A write missed the index (Redis was away for it): the database answers until the
        # repair job ran. Asked inside the players query, so a page from the index costs one
        # SQL statement.
    board = _from_database(season_id, mode, league, offset, limit, me_id)
    players = _shown_players(board, season_id, mode, me_id)
    if players is not None:
        _fill_rows(board, players.found, mode)
    return board


_USERS, _PROFILES = CustomUser._meta.db_table, UserProfile._meta.db_table
HIDDEN_NAME = "Hidden player"
# A player who hid their profile (``public`` false) keeps their row, rank and XP (everyone
# else's rank stays right) but shows no name or avatar to anyone but themself (docs/showcase.md).
_IDENTITY = f"""CASE WHEN u.public OR u.id = %(me)s THEN u.username ELSE 'hidden-' || u.id END,
       CASE WHEN u.public OR u.id = %(me)s THEN u.display_name ELSE '{HIDDEN_NAME}' END,
       CASE WHEN u.public OR u.id = %(me)s THEN u.avatar_url ELSE '' END"""
_SCORES, _REPAIRS = SeasonScore._meta.db_table, RankIndexRepair._meta.db_table


def _players_statement(mode: str) -> str:
    """The shown players' names, level, mode XP and season league, and whether the board's index
    waits for a repair: one fixed statement per mode (prepared by the driver once it is hot)."""
    return f"""
SELECT u.id, {_IDENTITY}, p.level, p.{mode}_xp,
       (SELECT s.league FROM {_SCORES} s WHERE s.season_id = %(sid)s AND s.mode = %(mode)s AND s.user_id = u.id),
       EXISTS (SELECT 1 FROM {_REPAIRS} r WHERE r.season_id = %(sid)s AND r.mode = %(mode)s)
  FROM {_USERS} u LEFT JOIN {_PROFILES} p ON p.user_id = u.id
 WHERE u.id = ANY(%(ids)s::bigint[])"""


_SHOWN_PLAYERS = {mode: _players_statement(mode) for mode in MODES}


def _session_players_statement(mode: str) -> str:
    """The same values for a page from the index, and whether the viewer's session still holds
    (``session_gate``): one row at least, the gate's, when the page shows nobody."""
    return f"""
WITH gate AS (
  SELECT EXISTS (SELECT 1 FROM {_USERS} me WHERE me.id = %(me)s AND {session_holds("me")}) AS holds,
         EXISTS (SELECT 1 FROM {_REPAIRS} r WHERE r.season_id = %(sid)s AND r.mode = %(mode)s) AS repair
)
SELECT u.id, {_IDENTITY}, p.level, p.{mode}_xp,
       (SELECT s.league FROM {_SCORES} s WHERE s.season_id = %(sid)s AND s.mode = %(mode)s AND s.user_id = u.id),
       gate.repair, gate.holds
  FROM gate
  LEFT JOIN ({_USERS} u LEFT JOIN {_PROFILES} p ON p.user_id = u.id) ON u.id = ANY(%(ids)s::bigint[])"""


_SESSION_PLAYERS = {mode: _session_players_statement(mode) for mode in MODES}


@dataclass(frozen=True)
class SessionViewer:
    """A signed-in viewer as a process remembers it: checked by the page's own statement."""

    user_id: int
    session_key: str
    password: str  # the account's password hash when the session was verified


def indexed_page_for_session(
    *, season_id: str, mode: str, league: str | None, offset: int, limit: int, viewer: SessionViewer
) -> Board | None:
    """A page from the index for a viewer known by session, in one Redis script and one SQL
    statement that also checks the session still holds; None when it does not, or the index is
    not usable or waits for a repair (the caller then answers the usual way)."""
    board = _from_redis(season_id, mode, league, offset, limit, viewer.user_id)
    if board is None:
        return None
    ids = sorted({row.user_id for row in (*board.rows, *board.around)})
    params: dict[str, Any] = {
        "sid": season_id,
        "mode": mode,
        "ids": ids,
        "me": viewer.user_id,
        "session_key": viewer.session_key,
        "password": viewer.password,
        "now": utc_now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_SESSION_PLAYERS[mode], params)
        values = cursor.fetchall()
    repair, holds = values[0][7], values[0][8]
    if repair or not holds:
        return None
    _fill_rows(board, {v[0]: v[1:7] for v in values if v[0] is not None}, mode)
    return board


@dataclass
class ShownPlayers:
    found: dict[int, tuple[Any, ...]]  # user id -> (username, display name, avatar, level, mode XP, league)
    repair_pending: bool  # the board's index waits for a repair


def _shown_players(board: Board, season_id: str, mode: str, me_id: int | None = None) -> ShownPlayers | None:
    """What a page shows of its players, in one statement of plain values (no ORM: a page shows
    up to 100 + 5 rows); None when it shows nobody (an empty page reads the same from a stale
    index, so it asks nothing)."""
    ids = sorted({row.user_id for row in (*board.rows, *board.around)})
    if not ids:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_SHOWN_PLAYERS[mode], {"sid": season_id, "mode": mode, "ids": ids, "me": me_id})
        values = cursor.fetchall()
    return ShownPlayers({v[0]: v[1:7] for v in values}, any(v[7] for v in values))


def _fill_rows(board: Board, found: dict[int, tuple[Any, ...]], mode: str) -> None:
    for row in (*board.rows, *board.around):
        if row.user_id not in found:
            continue
        username, display_name, avatar_url, level, mode_xp, season_league = found[row.user_id]
        row.username = username
        row.display_name = display_name or username
        row.avatar_url = avatar_url or None
        row.level = level or 1
        row.layer = layer_for_xp(mode, mode_xp or 0).code
        row.league = season_league or ""


def database_rank(season_id: str, mode: str, xp: int) -> int | None:
    """Rank on the overall board of a player with ``xp`` (1 + players with more), from
    PostgreSQL; None without XP."""
    return _board_qs(season_id, mode, None).filter(xp__gt=xp).count() + 1 if xp > 0 else None


def ranks_for(user_id: int, season_id: str, season_xp: dict[str, int | None]) -> dict[str, int | None]:
    """The player's rank per mode on the overall season boards (None without XP)."""
    ranks: dict[str, int | None] = {mode: None for mode in season_xp}
    wanted = {mode: xp for mode, xp in season_xp.items() if xp and xp > 0}
    if not wanted:
        return ranks
    client = r.get_redis()
    # No repair look-up here (this runs on every xp/add): a board that missed a write loses its
    # ready mark at the next write to it, and the ZCOUNT below is then skipped.
    if client is not None:
        try:
            pipe = client.pipeline(transaction=False)
            for mode, xp in wanted.items():
                pipe.exists(rk.ready_key(season_id, mode))
                pipe.zcount(rk.board_key(season_id, mode), f"({xp}", "+inf")
            answers = pipe.execute()
            for i, mode in enumerate(wanted):
                if answers[2 * i]:
                    ranks[mode] = int(answers[2 * i + 1]) + 1
        except r.REDIS_ERRORS:
            logger.warning("rank index unreachable; ranking from the database")
    for mode, xp in wanted.items():
        if ranks[mode] is None:
            ranks[mode] = database_rank(season_id, mode, xp)
    return ranks
