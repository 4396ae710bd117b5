"""The Redis rank index that mirrors SeasonScore (PostgreSQL is the truth).

One sorted set per (season, mode) plus one per league, written after commit from the database's
values, never by blind increments: each write carries the score row's ``version`` and a Lua
script drops any write older than what it already holds, so out-of-order after-commit writes
cannot leave a stale score.

Keys and the member encoding are in core/selectors/seasons/rank_keys.py (the selectors read the
same keys).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from core.constants.leagues import LEAGUES
from core.constants.modes import MODES, other_mode
from core.selectors.seasons.rank_keys import board_key, decode_user_id, encode_member, meta_key, ready_key
from core.services.seasons.lifecycle import ScoreState
from core.utils.dates import utc_now
from seasons.models import RankIndexRepair, Season, SeasonScore
from ultrabackend import redis as r

logger = logging.getLogger(__name__)

BATCH_SIZE = 5000  # rows per database chunk and per Redis pipeline


# upsert(board, league board, meta, user id, version, xp, member, league board prefix, league):
# 0 when the index already holds this version or a newer one, 1 when written.
_UPSERT_FUNCTION_LUA = """
local function upsert(board, league_board, meta, uid, version, xp, member, league_prefix, league)
  local cur = redis.call('HGET', meta, uid)
  if cur then
    local a = string.find(cur, '|', 1, true)
    local b = string.find(cur, '|', a + 1, true)
    if tonumber(string.sub(cur, 1, a - 1)) >= tonumber(version) then return 0 end
    local old = string.sub(cur, a + 1, b - 1)
    redis.call('ZREM', board, old)
    redis.call('ZREM', league_prefix .. string.sub(cur, b + 1), old)
  end
  if tonumber(xp) > 0 then
    redis.call('ZADD', board, xp, member)
    redis.call('ZADD', league_board, xp, member)
  end
  redis.call('HSET', meta, uid, version .. '|' .. member .. '|' .. league)
  return 1
end
"""
_UPSERT_LUA = _UPSERT_FUNCTION_LUA + "return upsert(KEYS[1], KEYS[2], KEYS[3], unpack(ARGV))"

# The xp/add round trip: the upsert, the board's ready mark (set when the write made the season,
# taken when it learnt of a lost write), then the player's rank on both overall boards. KEYS 4-6:
# this mode's ready mark, the other mode's ready mark and board; ARGV 7-9: season created, needs
# repair, the other mode's season XP. Ranks: 0 without XP, -1 when the board is not ready.
_INDEX_AND_RANK_LUA = (
    _UPSERT_FUNCTION_LUA
    + """
upsert(KEYS[1], KEYS[2], KEYS[3], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if ARGV[7] == '1' then
  redis.call('SET', KEYS[4], '1', 'NX')
  redis.call('SET', KEYS[5], '1', 'NX')
end
if ARGV[8] == '1' then redis.call('DEL', KEYS[4]) end
local function rank(ready, board, xp)
  if tonumber(xp) <= 0 then return 0 end
  if redis.call('EXISTS', ready) == 0 then return -1 end
  return redis.call('ZCOUNT', board, '(' .. xp, '+inf') + 1
end
return {rank(KEYS[4], KEYS[1], ARGV[3]), rank(KEYS[5], KEYS[6], ARGV[9])}
"""
)


def _upsert_args(state: ScoreState) -> tuple[list[str], list[str | int]]:
    keys = [
        board_key(state.season_id, state.mode),
        board_key(state.season_id, state.mode, state.league),
        meta_key(state.season_id, state.mode),
    ]
    member = encode_member(state.season_id, state.user_id, state.reached_at)
    league_prefix = board_key(state.season_id, state.mode) + ":"
    return keys, [state.user_id, state.version, state.xp, member, league_prefix, state.league]


def index_scores(states: Iterable[ScoreState]) -> None:
    """Write score states to the index (older versions are ignored). Raises on Redis errors."""
    client = r.get_redis()
    if client is None:
        return
    script = r.script(client, _UPSERT_LUA)
    states = list(states)
    if len(states) == 1:
        # The after-commit write of one score: a plain EVALSHA (redis-py loads the script on a
        # NOSCRIPT answer); a pipelined Script would add a SCRIPT EXISTS round trip.
        keys, args = _upsert_args(states[0])
        script(keys=keys, args=args)
        return
    pipe = client.pipeline(transaction=False)
    for state in states:
        keys, args = _upsert_args(state)
        script(keys=keys, args=args, client=pipe)
    pipe.execute()


@dataclass(frozen=True)
class IndexHint:
    season_created: bool = False  # the write made the season: its boards were empty, so complete
    needs_repair: bool = False  # an earlier index write for this board failed


def record_lost_write(state: ScoreState) -> None:
    """An index write for ``state`` failed: the board is repaired by the repair job, and the
    database answers for it until then."""
    logger.warning("rank index write failed for %s; board served from the database until rebuilt", state)
    # One statement (INSERT ... ON CONFLICT DO UPDATE): while Redis is away every write lands
    # here, and concurrent writers must not queue on a read-then-update transaction.
    RankIndexRepair.objects.bulk_create(
        [RankIndexRepair(season_id=state.season_id, mode=state.mode, created_at=utc_now())],
        update_conflicts=True,
        unique_fields=["season_id", "mode"],
        update_fields=["created_at"],
    )


def index_and_rank(state: ScoreState, hint: IndexHint, season_xp: dict[str, int]) -> dict[str, int | None]:
    """Mirror a committed score into the index and rank the player (this season's XP per mode:
    ``season_xp``) on both overall boards, in one Redis round trip. Returns the rank per mode
    (None: no XP in that mode); a mode missing from the answer has no trustworthy board (not
    ready, or Redis away: then the lost write is recorded for repair) and is ranked from the
    database by the caller."""
    client = r.get_redis()
    if client is None:
        return {}
    other = other_mode(state.mode)
    keys, args = _upsert_args(state)
    keys += [
        ready_key(state.season_id, state.mode),
        ready_key(state.season_id, other),
        board_key(state.season_id, other),
    ]
    args += [int(hint.season_created), int(hint.needs_repair), season_xp[other]]
    try:
        mine, theirs = r.script(client, _INDEX_AND_RANK_LUA)(keys=keys, args=args)
    except r.REDIS_ERRORS:
        record_lost_write(state)
        return {}
    ranks: dict[str, int | None] = {}
    for mode, answer in ((state.mode, int(mine)), (other, int(theirs))):
        if answer >= 0:
            ranks[mode] = answer or None
    return ranks


def index_on_commit(state: ScoreState | None, hint: IndexHint | None = None) -> None:
    """After the current transaction commits, mirror ``state`` into the index (best effort:
    a failure leaves the database right, records the board for repair, and the database serves
    it until it is rebuilt).

    A board is trusted ("ready") from the moment its season is made (every score after that
    is written by its own writer) or from a rebuild. A write that learns an earlier write was
    lost takes the ready mark away, so readers fall back to the database until a rebuild."""
    if state is None or r.get_redis() is None:
        return

    def write() -> None:
        try:
            index_scores([state])
            client = r.get_redis()
            if client is not None and hint is not None and hint.season_created:
                for mode in MODES:
                    client.set(ready_key(state.season_id, mode), "1", nx=True)
            if client is not None and hint is not None and hint.needs_repair:
                client.delete(ready_key(state.season_id, state.mode))
        except r.REDIS_ERRORS:
            record_lost_write(state)

    transaction.on_commit(write)


def rebuild_board(
    season_id: str, mode: str, *, batch_size: int = BATCH_SIZE, progress: Callable[[int], object] | None = None
) -> int:
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


def boards_needing_repair(season_id: str) -> set[str]:
    """Modes of ``season_id`` whose index missed a write (one small query)."""
    return set(RankIndexRepair.objects.filter(season_id=season_id).values_list("mode", flat=True))


def repair_board(season_id: str, mode: str) -> bool:
    """Rebuild one board from scratch (its keys dropped first, so stale or foreign members go
    too) unless another process is rebuilding it; True when it is ready afterwards. Readers are
    served from the database while it runs; writes meanwhile are version-guarded."""
    client = r.get_redis()
    if client is None:
        return False
    lock = client.lock(r.key("lb", season_id, mode, "rebuilding"), timeout=3600, blocking=False)
    if not lock.acquire(blocking=False):
        return False
    try:
        started = utc_now()
        client.delete(
            ready_key(season_id, mode),
            board_key(season_id, mode),
            meta_key(season_id, mode),
            *(board_key(season_id, mode, league) for league in LEAGUES),
        )
        rebuild_board(season_id, mode)
        RankIndexRepair.objects.filter(season_id=season_id, mode=mode, created_at__lte=started).delete()
        return not RankIndexRepair.objects.filter(season_id=season_id, mode=mode).exists()
    finally:
        with contextlib.suppress(*r.REDIS_ERRORS):  # expired meanwhile: nothing to release
            lock.release()


@dataclass(frozen=True)
class BoardRepair:
    season_id: str
    mode: str
    problems: list[str]  # what the check found before the repair
    repaired: bool


def repair_boards(boards: Iterable[tuple[str, str]] | None = None) -> list[BoardRepair]:
    """Check every board (or ``boards``) against the database and rebuild each one that
    differs, is not ready or missed a write. Returns what was found and done."""
    client = r.get_redis()
    if client is None:
        return []
    marked = set(RankIndexRepair.objects.values_list("season_id", "mode"))
    done: list[BoardRepair] = []
    for season_id, mode in boards if boards is not None else boards_in_database():
        problems = check_board(season_id, mode)
        if (season_id, mode) in marked:
            problems.append(f"{season_id} {mode}: an index write failed")
        if problems:
            done.append(BoardRepair(season_id, mode, problems, repair_board(season_id, mode)))
    return done


def boards_not_ready() -> list[tuple[str, str]]:
    """Boards that missed a write or whose ready mark is gone (Redis restarted empty), newest first."""
    client = r.get_redis()
    if client is None:
        return []
    marked = set(RankIndexRepair.objects.values_list("season_id", "mode"))
    boards = [b for b in boards_in_database() if b in marked or not client.exists(ready_key(*b))]
    return sorted(boards, reverse=True)


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
        .iterator(chunk_size=BATCH_SIZE)
    ):
        expected[user_id] = (float(xp), encode_member(season_id, user_id, reached_at), league)
    if expected and not client.exists(ready_key(season_id, mode)):
        problems.append(f"{season_id} {mode}: index not marked ready")
    actual = {(m.decode() if isinstance(m, bytes) else m): s for m, s in client.zscan_iter(board_key(season_id, mode))}
    expected_members: dict[str, float] = {member: xp for xp, member, _ in expected.values()}
    for member, want in expected_members.items():
        if actual.get(member) != want:
            problems.append(
                f"{season_id} {mode}: user {decode_user_id(member)} expected {want}, index has {actual.get(member)}"
            )
    for member in actual.keys() - expected_members.keys():
        problems.append(f"{season_id} {mode}: user {decode_user_id(member)} is in the index but not the database")
    for league in LEAGUES:
        wanted = {member for _, member, lg in expected.values() if lg == league}
        present = {
            (m.decode() if isinstance(m, bytes) else m)
            for m, _ in client.zscan_iter(board_key(season_id, mode, league))
        }
        if wanted != present:
            problems.append(f"{season_id} {mode} {league}: {len(wanted ^ present)} members differ")
    return problems


def boards_in_database() -> list[tuple[str, str]]:
    return [(season.id, mode) for season in Season.objects.order_by("id") for mode in MODES]


def reindex_on_commit(states: list[ScoreState]) -> None:
    """After commit, mirror many changed scores into the index (failures mark boards for repair)."""
    if not states or r.get_redis() is None:
        return

    def write() -> None:
        try:
            index_scores(states)
        except r.REDIS_ERRORS:
            for season_id, mode in {(s.season_id, s.mode) for s in states}:
                RankIndexRepair.objects.update_or_create(
                    season_id=season_id, mode=mode, defaults={"created_at": utc_now()}
                )

    transaction.on_commit(write)
