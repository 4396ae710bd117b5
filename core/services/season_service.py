"""Seasons and the Redis rank index that mirrors SeasonScore.

PostgreSQL is the truth. The index is one sorted set per (season, mode) plus one per league,
written after commit from the database's values, never by blind increments: each write carries
the score row's ``version`` and a Lua script drops any write older than what it already holds,
so out-of-order after-commit writes cannot leave a stale score.

Score and member encoding: the sorted-set score is the season XP (an exact integer); the member
is ``<inverted microseconds since season start, 13 digits><inverted user id, 12 digits>``. Redis
orders equal scores by member, so in descending order the player who reached the score first
(and then the lower user id) comes first: exactly ``ORDER BY xp DESC, reached_at, user_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from core.constants.leagues import LEAGUES
from core.constants.modes import MODES
from core.utils import redis as r
from core.utils.dates import month_bounds, season_id_for, utc_now
from seasons.models import Season, SeasonScore

logger = logging.getLogger(__name__)

_TIME_SPAN = 10**13  # microseconds; a month is < 2.7e12
_UID_SPAN = 10**12


@dataclass(frozen=True)
class ScoreState:
    user_id: int
    season_id: str
    mode: str
    xp: int
    league: str
    reached_at: datetime
    version: int


def season_for(moment: datetime | None = None) -> Season:
    """The season containing ``moment`` (now by default), made when missing."""
    season_id = season_id_for(moment or utc_now())
    starts_at, ends_at = month_bounds(season_id)
    season, _ = Season.objects.get_or_create(id=season_id, defaults={"starts_at": starts_at, "ends_at": ends_at})
    return season


# --- the index -------------------------------------------------------------------------------


def board_key(season_id: str, mode: str, league: str | None = None) -> str:
    return r.key("lb", season_id, mode, league) if league else r.key("lb", season_id, mode)


def meta_key(season_id: str, mode: str) -> str:
    return r.key("lb", season_id, mode, "meta")


def ready_key(season_id: str, mode: str) -> str:
    return r.key("lb", season_id, mode, "ready")


def encode_member(season_id: str, user_id: int, reached_at: datetime) -> str:
    start, _ = month_bounds(season_id)
    micros = int((reached_at - start).total_seconds() * 1_000_000)
    micros = min(max(micros, 0), _TIME_SPAN - 1)
    return f"{_TIME_SPAN - 1 - micros:013d}{_UID_SPAN - 1 - user_id:012d}"


def decode_user_id(member: str | bytes) -> int:
    text = member.decode() if isinstance(member, bytes) else member
    return _UID_SPAN - 1 - int(text[13:])


_UPSERT_LUA = """
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur then
  local sep = string.find(cur, '|', 1, true)
  if tonumber(string.sub(cur, 1, sep - 1)) >= tonumber(ARGV[2]) then return 0 end
  local old = string.sub(cur, sep + 1)
  redis.call('ZREM', KEYS[1], old)
  redis.call('ZREM', KEYS[2], old)
end
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[4])
return 1
"""


def _upsert_args(state: ScoreState) -> tuple[list[str], list[object]]:
    keys = [
        board_key(state.season_id, state.mode),
        board_key(state.season_id, state.mode, state.league),
        meta_key(state.season_id, state.mode),
    ]
    member = encode_member(state.season_id, state.user_id, state.reached_at)
    return keys, [state.user_id, state.version, state.xp, member]


def index_scores(states: Iterable[ScoreState]) -> None:
    """Write score states to the index (older versions are ignored). Raises on Redis errors."""
    client = r.get_redis()
    if client is None:
        return
    script = client.register_script(_UPSERT_LUA)
    pipe = client.pipeline(transaction=False)
    for state in states:
        keys, args = _upsert_args(state)
        script(keys=keys, args=args, client=pipe)
    pipe.execute()


def index_on_commit(state: ScoreState | None) -> None:
    """After the current transaction commits, mirror ``state`` into the index (best effort:
    a failure leaves the database right and is repaired by check/rebuild_leaderboards)."""
    if state is None or r.get_redis() is None:
        return

    def write() -> None:
        try:
            index_scores([state])
        except r.REDIS_ERRORS:
            logger.warning("rank index write failed for %s; the database stays the truth", state)

    transaction.on_commit(write)


def score_state(score: SeasonScore) -> ScoreState:
    return ScoreState(
        user_id=score.user_id,
        season_id=score.season_id,
        mode=score.mode,
        xp=score.xp,
        league=score.league,
        reached_at=score.reached_at,
        version=score.version,
    )


def rebuild_board(season_id: str, mode: str, *, batch_size: int = 5000, progress=None) -> int:  # type: ignore[no-untyped-def]
    """Rewrite the index of one season and mode from the database; returns rows written.

    Safe while writes go on: every write is version-guarded. Marks the board ready at the end.
    """
    client = r.get_redis()
    if client is None:
        return 0
    written = 0
    batch: list[ScoreState] = []
    rows = (
        SeasonScore.objects.filter(season_id=season_id, mode=mode)
        .values_list("user_id", "xp", "league", "reached_at", "version")
        .order_by()
        .iterator(chunk_size=batch_size)
    )
    for user_id, xp, league, reached_at, version in rows:
        batch.append(ScoreState(user_id, season_id, mode, xp, league, reached_at, version))
        if len(batch) >= batch_size:
            index_scores(batch)
            written += len(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        index_scores(batch)
        written += len(batch)
        if progress:
            progress(len(batch))
    client.set(ready_key(season_id, mode), "1")
    return written


def drop_board(season_id: str, mode: str) -> None:
    """Remove one board from the index entirely (the next rebuild starts from nothing)."""
    client = r.get_redis()
    if client is None:
        return
    keys = [board_key(season_id, mode), meta_key(season_id, mode), ready_key(season_id, mode)]
    keys += [board_key(season_id, mode, league) for league in LEAGUES]
    client.delete(*keys)


def check_board(season_id: str, mode: str) -> list[str]:
    """Differences between the index and the database for one board (empty when in step)."""
    client = r.get_redis()
    if client is None:
        return ["redis not configured"]
    problems: list[str] = []
    expected: dict[int, tuple[float, str, str]] = {}
    for user_id, xp, league, reached_at in (
        SeasonScore.objects.filter(season_id=season_id, mode=mode, xp__gt=0)
        .values_list("user_id", "xp", "league", "reached_at")
        .iterator(chunk_size=5000)
    ):
        expected[user_id] = (float(xp), encode_member(season_id, user_id, reached_at), league)
    if not client.exists(ready_key(season_id, mode)):
        problems.append(f"{season_id} {mode}: index not marked ready")
    actual = {
        (m.decode() if isinstance(m, bytes) else m): s
        for m, s in client.zscan_iter(board_key(season_id, mode))
    }
    expected_members = {member: xp for xp, member, _ in expected.values()}
    for member, xp in expected_members.items():
        if actual.get(member) != xp:
            problems.append(f"{season_id} {mode}: user {decode_user_id(member)} expected {xp}, index has {actual.get(member)}")
    for member in actual.keys() - expected_members.keys():
        problems.append(f"{season_id} {mode}: user {decode_user_id(member)} is in the index but not the database")
    for league in LEAGUES:
        want = {member for _, member, lg in expected.values() if lg == league}
        have = {
            (m.decode() if isinstance(m, bytes) else m) for m, _ in client.zscan_iter(board_key(season_id, mode, league))
        }
        if want != have:
            problems.append(f"{season_id} {mode} {league}: {len(want ^ have)} members differ")
    return problems


def boards_in_database() -> list[tuple[str, str]]:
    return [(season.id, mode) for season in Season.objects.order_by("id") for mode in MODES]
