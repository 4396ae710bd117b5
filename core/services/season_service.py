"""Seasons and the Redis rank index that mirrors SeasonScore.

PostgreSQL is the truth. The index is one sorted set per (season, mode) plus one per league,
written after commit from the database's values, never by blind increments: each write carries
the score row's ``version`` and a Lua script drops any write older than what it already holds,
so out-of-order after-commit writes cannot leave a stale score.

Score and member encoding: the sorted-set score is the season XP (an exact integer); the member
is ``<inverted microseconds since season start, 14 digits><inverted user id, 12 digits>``. Redis
orders equal scores by member, so in descending order the player who reached the score first
(and then the lower user id) comes first: exactly ``ORDER BY xp DESC, reached_at, user_id``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F

from core.constants.leagues import LEAGUES, league_down, league_up, promotion_counts
from core.constants.modes import MODES
from core.services import domain_events
from core.utils import redis as r
from core.utils.dates import month_bounds, season_id_for, utc_now
from seasons.models import RankIndexRepair, Season, SeasonCloseStep, SeasonResult, SeasonScore
from xp.models import UserProfile

logger = logging.getLogger(__name__)

_TIME_DIGITS, _UID_DIGITS = 14, 12
_TIME_SPAN = 10**_TIME_DIGITS  # microseconds since the season start: ~3 years (late corrections)
_UID_SPAN = 10**_UID_DIGITS


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
    micros = (reached_at - start) // timedelta(microseconds=1)  # exact: no float on the way
    micros = min(max(micros, 0), _TIME_SPAN - 1)
    return f"{_TIME_SPAN - 1 - micros:0{_TIME_DIGITS}d}{_UID_SPAN - 1 - user_id:0{_UID_DIGITS}d}"


def decode_user_id(member: str | bytes) -> int:
    text = member.decode() if isinstance(member, bytes) else member
    return _UID_SPAN - 1 - int(text[_TIME_DIGITS:])


_UPSERT_LUA = """
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur then
  local a = string.find(cur, '|', 1, true)
  local b = string.find(cur, '|', a + 1, true)
  if tonumber(string.sub(cur, 1, a - 1)) >= tonumber(ARGV[2]) then return 0 end
  local old = string.sub(cur, a + 1, b - 1)
  redis.call('ZREM', KEYS[1], old)
  redis.call('ZREM', ARGV[5] .. string.sub(cur, b + 1), old)
end
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2] .. '|' .. ARGV[4] .. '|' .. ARGV[6])
return 1
"""


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
            logger.warning("rank index write failed for %s; board served from the database until rebuilt", state)
            RankIndexRepair.objects.update_or_create(
                season_id=state.season_id, mode=state.mode, defaults={"created_at": utc_now()}
            )

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


def boards_needing_repair(season_id: str) -> set[str]:
    """Modes of ``season_id`` whose index missed a write (one small query)."""
    return set(RankIndexRepair.objects.filter(season_id=season_id).values_list("mode", flat=True))


def repair_board(season_id: str, mode: str, *, max_rows: int | None = None) -> bool:
    """Rebuild one board now if nobody else is and it is small enough (``max_rows``); True when
    the board is ready afterwards. Used to heal the index on the request path after a Redis
    restart or a missed write; large boards are left to ``rebuild_leaderboards``."""
    client = r.get_redis()
    if client is None:
        return False
    lock = client.lock(r.key("lb", season_id, mode, "rebuilding"), timeout=600, blocking=False)
    if not lock.acquire(blocking=False):
        return False
    try:
        if max_rows is not None and SeasonScore.objects.filter(season_id=season_id, mode=mode).count() > max_rows:
            return False
        started = utc_now()
        client.delete(ready_key(season_id, mode))
        rebuild_board(season_id, mode)
        RankIndexRepair.objects.filter(season_id=season_id, mode=mode, created_at__lte=started).delete()
        return not RankIndexRepair.objects.filter(season_id=season_id, mode=mode).exists()
    finally:
        with contextlib.suppress(*r.REDIS_ERRORS):  # expired meanwhile: nothing to release
            lock.release()


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


# --- closing seasons -------------------------------------------------------------------------

CLOSE_GRACE = timedelta(minutes=5)  # let requests that started before midnight finish first
INACTIVE_STEP = "inactive"


@dataclass(frozen=True)
class CloseReport:
    season_id: str
    steps_run: int
    steps_skipped: int
    moved_up: int
    moved_down: int


def seasons_to_close(now: datetime | None = None) -> list[Season]:
    """Ended seasons (past the grace period) that are not closed yet, oldest first."""
    now = now or utc_now()
    return list(Season.objects.filter(status=Season.OPEN, ends_at__lte=now - CLOSE_GRACE).order_by("id"))


def close_season(season: Season, *, on_step=None) -> CloseReport:  # type: ignore[no-untyped-def]
    """Close ``season``: store every player's final rank and league and move leagues.

    Safe to run any number of times and to resume after a crash: each unit (one league board of
    one mode, or one mode's players without XP) commits together with a SeasonCloseStep row,
    and a unit that has its row is never run again. Units do not depend on each other: a board
    is read from SeasonScore.league (the league played in that season), never from the profile.
    """
    run = skipped = up_total = down_total = 0
    for mode in MODES:
        for step in (*LEAGUES, INACTIVE_STEP):
            with transaction.atomic():
                # Two runs at once (two schedulers) take turns on the season row and the second
                # finds the step done. NO KEY UPDATE: awards' foreign-key checks on the row
                # (FOR KEY SHARE) are not blocked, so this lock cannot deadlock with them.
                Season.objects.select_for_update(no_key=True).filter(pk=season.pk).first()
                if SeasonCloseStep.objects.filter(season=season, mode=mode, step=step).exists():
                    skipped += 1
                    continue
                if step == INACTIVE_STEP:
                    up, down, changed = 0, *_close_inactive(season, mode)
                else:
                    up, down, changed = _close_league_board(season, mode, step)
                SeasonCloseStep.objects.create(
                    season=season, mode=mode, step=step, players=up + down, done_at=utc_now()
                )
                _reindex_on_commit(changed)
            run += 1
            up_total += up
            down_total += down
            if on_step:
                on_step(mode, step)
    with transaction.atomic():
        closed_at = utc_now()
        if Season.objects.filter(pk=season.pk, status=Season.OPEN).update(status=Season.CLOSED, closed_at=closed_at):
            domain_events.record([domain_events.season_closed_event(season.id, closed_at)], now=closed_at)
    return CloseReport(season.id, run, skipped, up_total, down_total)


def _move_players(season: Season, mode: str, moves: dict[str, list[int]]) -> list[ScoreState]:
    """Set the new league on the profiles and on the player's scores of later seasons (which
    started in the old league), and return those scores for the index."""
    changed: list[ScoreState] = []
    league_field = f"{mode}_league"
    for new_league, user_ids in moves.items():
        for chunk_start in range(0, len(user_ids), 5000):
            chunk = user_ids[chunk_start : chunk_start + 5000]
            UserProfile.objects.filter(user_id__in=chunk).update(**{league_field: new_league})
            later = SeasonScore.objects.filter(user_id__in=chunk, mode=mode, season_id__gt=season.id)
            later.update(league=new_league, version=F("version") + 1)
            changed += [score_state(s) for s in later]
    return changed


def _close_league_board(season: Season, mode: str, league: str) -> tuple[int, int, list[ScoreState]]:
    rows = list(
        SeasonScore.objects.filter(season=season, mode=mode, league=league, xp__gt=0)
        .order_by("-xp", "reached_at", "user_id")
        .values_list("user_id", "xp")
    )
    up_count, down_count = promotion_counts(len(rows))
    results: list[SeasonResult] = []
    moves: dict[str, list[int]] = {}
    rank = 0
    for position, (user_id, xp) in enumerate(rows):
        if position == 0 or xp != rows[position - 1][1]:
            rank = position + 1
        if position < up_count:
            new_league, movement = league_up(league), "up"
        elif position >= len(rows) - down_count:
            new_league, movement = league_down(league), "down"
        else:
            new_league, movement = league, "stay"
        if new_league == league:
            movement = "stay"  # already at the top or bottom of the ladder
        else:
            moves.setdefault(new_league, []).append(user_id)
        results.append(
            SeasonResult(
                user_id=user_id,
                season=season,
                mode=mode,
                xp=xp,
                rank=rank,
                league=league,
                new_league=new_league,
                movement=movement,
            )
        )
    SeasonResult.objects.bulk_create(results, batch_size=5000)
    domain_events.record(domain_events.league_events(results))
    ups = sum(r.movement == "up" for r in results)
    downs = sum(r.movement == "down" for r in results)
    return ups, downs, _move_players(season, mode, moves)


def _close_inactive(season: Season, mode: str) -> tuple[int, list[ScoreState]]:
    """Players with no XP in the season move down one league (Bronze stays Bronze)."""
    league_field = f"{mode}_league"
    active = SeasonScore.objects.filter(season=season, mode=mode, xp__gt=0).values("user_id")
    inactive = (
        UserProfile.objects.exclude(**{league_field: LEAGUES[0]})
        .exclude(user_id__in=active)
        .filter(user__date_joined__lt=season.ends_at)
        .values_list("user_id", league_field)
    )
    results: list[SeasonResult] = []
    moves: dict[str, list[int]] = {}
    for user_id, league in inactive.iterator(chunk_size=5000):
        new_league = league_down(league)
        moves.setdefault(new_league, []).append(user_id)
        results.append(
            SeasonResult(
                user_id=user_id,
                season=season,
                mode=mode,
                xp=0,
                rank=None,
                league=league,
                new_league=new_league,
                movement="down",
            )
        )
    SeasonResult.objects.bulk_create(results, batch_size=5000)
    domain_events.record(domain_events.league_events(results))
    return len(results), _move_players(season, mode, moves)


def _reindex_on_commit(states: list[ScoreState]) -> None:
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
