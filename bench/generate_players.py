"""Fill a dedicated database with 1,000,000 players and this season's scores, then build the
Redis rank index. Minutes, not hours: rows go in with PostgreSQL COPY (psycopg 3 ``cursor.copy``).

    .venv/bin/python bench/generate_players.py                 # 1,000,000 players into igo_bench_1m
    .venv/bin/python bench/generate_players.py --players 100000 --commit HEAD

The database (BENCH_DB_1M, default ``igo_bench_1m``) is dropped and made anew; Redis DB
BENCH_REDIS_1M (default redis://127.0.0.1:6379/6) is flushed: both belong to the benchmark.

Data: usernames p0000001..., cohorts of COHORT_SIZE per league (in order of the score rows), a profile per player; this season's reality score for ~85 % of the
players and a cyber score for ~35 %, XP skewed (log-normal, in steps of 10 XP so that many
players tie), ``reached_at`` spread over the season so far, leagues bronze 40 % ... ultra 2 %.
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB_1M", "igo_bench_1m")
REDIS = os.environ.get("BENCH_REDIS_1M", "redis://127.0.0.1:6379/6")
LEAGUE_WEIGHTS = {"bronze": 40, "silver": 28, "gold": 18, "platinum": 8, "diamond": 4, "ultra": 2}
CHUNK = 100_000


def _copy(conn, table: str, columns: list[str], lines) -> None:  # type: ignore[no-untyped-def]
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buf = io.StringIO()
        n = 0
        for line in lines:
            buf.write(line)
            n += 1  # noqa: SIM113
            if n % CHUNK == 0:
                copy.write(buf.getvalue())
                buf = io.StringIO()
        copy.write(buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--players", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--commit", default=None, help="migrate with this commit's code (git archive)")
    ap.add_argument("--skip-index", action="store_true", help="do not build the Redis index")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    timings: list[tuple[str, float]] = []

    def step(name: str, t0: float) -> float:
        t = time.time()
        timings.append((name, t - t0))
        print(f"{name}: {t - t0:.1f}s", flush=True)
        return t

    import psycopg
    import redis

    c.use_commit(args.commit)
    t = time.time()
    with psycopg.connect(c.database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    env = c.server_env(DB, REDIS)
    c.migrate(env)
    t = step("create database + migrate", t)

    c.setup_django(env)
    from core.utils.dates import month_bounds, season_id_for

    now = datetime.now(UTC)
    sid = season_id_for(now)
    start, _ = month_bounds(sid)
    span = max(60.0, (now - start).total_seconds() - 60)
    joined = (now - timedelta(days=90)).isoformat()
    n = args.players
    leagues = list(LEAGUE_WEIGHTS)
    weights = list(LEAGUE_WEIGHTS.values())

    with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")  # bulk load only; the server is not running
        conn.execute(
            "INSERT INTO seasons_season (id, starts_at, ends_at, status) VALUES (%s, %s, %s, 'open') "
            "ON CONFLICT (id) DO NOTHING",
            [sid, start, month_bounds(sid)[1]],
        )
        _copy(
            conn,
            "users_customuser",
            [
                "id",
                "password",
                "is_superuser",
                "username",
                "first_name",
                "last_name",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "display_name",
                "avatar_url",
                "display_name_chosen",
            ],
            (f"{i}\t!\tf\tp{i:07d}\t\t\t\tf\tt\t{joined}\tPlayer {i}\t\tt\n" for i in range(1, n + 1)),
        )
        conn.execute("SELECT setval(pg_get_serial_sequence('users_customuser', 'id'), %s)", [n])
        t = step(f"COPY {n:,} users", t)

        # Per player: league per mode, reality/cyber season XP (0 = no score row this season).
        def xp() -> int:
            return max(1, int(math.exp(rng.gauss(6.0, 1.3)) / 10)) * 10  # median ~400 XP, long tail

        players = []
        for i in range(1, n + 1):
            rl, cl = rng.choices(leagues, weights, k=2)
            r_xp = xp() if rng.random() < 0.85 else 0
            c_xp = xp() if rng.random() < 0.35 else 0
            players.append((i, rl, cl, r_xp, c_xp))
        t = step("generate scores in Python", t)

        _copy(
            conn,
            "xp_userprofile",
            ["user_id", "total_xp", "reality_xp", "cyber_xp", "level", "reality_league", "cyber_league", "updated_at"],
            (f"{i}\t{r + cx}\t{r}\t{cx}\t1\t{rl}\t{cl}\t{joined}\n" for i, rl, cl, r, cx in players),
        )
        conn.execute(  # the level each total gives (the levels table from the migrations)
            "UPDATE xp_userprofile p SET level = l.level FROM xp_level l "
            "WHERE l.min_xp = (SELECT max(min_xp) FROM xp_level WHERE min_xp <= p.total_xp) AND l.level <> 1"
        )
        t = step(f"COPY {n:,} profiles + levels", t)

        def scores():  # type: ignore[no-untyped-def]
            for i, rl, cl, r, cx in players:
                for mode, league, value in (("reality", rl, r), ("cyber", cl, cx)):
                    if value:
                        at = (start + timedelta(seconds=rng.random() * span)).isoformat()
                        yield f"{i}\t{sid}\t{mode}\t{value}\t{league}\t{at}\t1\n"

        _copy(
            conn,
            "seasons_seasonscore",
            ["user_id", "season_id", "mode", "xp", "league", "reached_at", "version"],
            scores(),
        )
        conn.execute("ANALYZE seasons_seasonscore")
        t = step("COPY season scores", t)
    # Cohorts, as the players' first awards would have made them (in order of arrival).
    from core.services.seasons import cohorts

    placed = cohorts.assign_missing(sid)
    t = step(f"cohorts (cohorts.assign_missing, {placed:,} scores placed)", t)
    with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
        # The visibility map matters at this size (index-only scans); a VACUUM while another
        # database's transaction holds the xmin horizon back leaves it unset: retry until set.
        for _ in range(10):
            conn.execute("VACUUM (ANALYZE) users_customuser, xp_userprofile, seasons_seasonscore, seasons_seasoncohort")
            visible, pages = conn.execute(
                "SELECT relallvisible, relpages FROM pg_class WHERE relname = 'seasons_seasonscore'"
            ).fetchone()
            if visible >= 0.99 * pages:
                break
            print(f"  visibility map {visible}/{pages} pages: vacuum again", flush=True)
            time.sleep(3)
        counts = conn.execute(
            "SELECT mode, count(*), count(DISTINCT xp) FROM seasons_seasonscore WHERE season_id = %s GROUP BY mode",
            [sid],
        ).fetchall()
        t = step("VACUUM ANALYZE", t)
    for mode, rows, distinct in counts:
        print(f"  {sid} {mode}: {rows:,} scores, {distinct:,} distinct XP values (ties)")

    if not args.skip_index:
        from core.services.seasons import rank_index

        redis.Redis.from_url(REDIS).flushdb()
        for mode in ("reality", "cyber"):
            written = rank_index.rebuild_board(sid, mode, batch_size=10_000)
            t = step(f"Redis index {mode} (rank_index.rebuild_board, {written:,} rows)", t)
        info = redis.Redis.from_url(REDIS).info("memory")
        print(f"  Redis used_memory: {info['used_memory_human']}")
    print("total: " + f"{sum(x for _, x in timings):.1f}s")


if __name__ == "__main__":
    main()
