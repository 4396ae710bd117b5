"""Close a season of many players, killed halfway and resumed: the season close at scale.

    .venv/bin/python bench/generate_players.py --players 1000000 --skip-index   # igo_bench_1m
    .venv/bin/python bench/close_season.py [--kill-after 20]

Backdates the benchmark database's season (BENCH_DB_1M, from bench/generate_players.py) so
that it has ended, then runs ``manage.py close_seasons`` as a subprocess: with ``--kill-after S``
the first run is killed (SIGKILL) after S seconds and a second run finishes the close. Checks
that every player has exactly one result per mode they count in (a player with XP, or an idle
one above Bronze) and that the results agree with the movement rules, and prints the timings.
The season is reopened first (results, steps, cohort marks and leagues undone), so the script
can be run again on the same data.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB_1M", "igo_bench_1m")
ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kill-after", type=float, default=0.0, help="SIGKILL the first run after this many seconds")
    args = ap.parse_args()
    import psycopg

    env = c.server_env(DB, None)
    with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
        conn.execute("DELETE FROM seasons_seasonresult")
        conn.execute("DELETE FROM seasons_seasonclosestep")
        conn.execute("UPDATE seasons_seasoncohort SET closed_at = NULL")
        conn.execute("DELETE FROM events_domainevent")
        conn.execute("DELETE FROM procrastinate_jobs")
        # Back to the generated leagues: the scores keep the league played (as a close leaves them).
        for mode in ("reality", "cyber"):
            conn.execute(
                f"UPDATE xp_userprofile p SET {mode}_league = s.league FROM seasons_seasonscore s "
                f"WHERE s.user_id = p.user_id AND s.mode = '{mode}' AND p.{mode}_league <> s.league"
            )
        sid = conn.execute("SELECT id FROM seasons_season ORDER BY id DESC LIMIT 1").fetchone()[0]
        conn.execute(
            "UPDATE seasons_season SET status = 'open', closed_at = NULL, ends_at = now() - interval '1 hour' "
            "WHERE id = %s",
            [sid],
        )
        conn.execute("VACUUM ANALYZE")
        players = conn.execute("SELECT count(*) FROM xp_userprofile").fetchone()[0]
        expected = conn.execute(
            """
            SELECT (SELECT count(*) FROM seasons_seasonscore WHERE season_id = %(s)s AND xp > 0)
                 + (SELECT count(*) FROM xp_userprofile p WHERE p.reality_league <> 'bronze' AND NOT EXISTS
                    (SELECT 1 FROM seasons_seasonscore s WHERE s.season_id = %(s)s AND s.mode = 'reality'
                     AND s.user_id = p.user_id AND s.xp > 0))
                 + (SELECT count(*) FROM xp_userprofile p WHERE p.cyber_league <> 'bronze' AND NOT EXISTS
                    (SELECT 1 FROM seasons_seasonscore s WHERE s.season_id = %(s)s AND s.mode = 'cyber'
                     AND s.user_id = p.user_id AND s.xp > 0))
            """,
            {"s": sid},
        ).fetchone()[0]
    print(f"season {sid}: {players:,} players, {expected:,} results expected", flush=True)

    command = [sys.executable, "manage.py", "close_seasons", "--no-progress"]
    t0 = time.time()
    if args.kill_after:
        first = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            first.wait(timeout=args.kill_after)
            print("the first run ended before the kill", flush=True)
        except subprocess.TimeoutExpired:
            first.send_signal(signal.SIGKILL)
            first.wait()
            with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
                done = conn.execute("SELECT count(*) FROM seasons_seasonresult").fetchone()[0]
            print(f"killed after {time.time() - t0:.1f}s with {done:,} results committed", flush=True)
    t1 = time.time()
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    t2 = time.time()
    with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
        results, distinct = conn.execute(
            "SELECT count(*), count(DISTINCT (user_id, mode)) FROM seasons_seasonresult WHERE season_id = %s", [sid]
        ).fetchone()
        moved = dict(
            conn.execute(
                "SELECT movement, count(*) FROM seasons_seasonresult WHERE season_id = %s GROUP BY movement", [sid]
            ).fetchall()
        )
        events = conn.execute("SELECT count(*) FROM events_domainevent WHERE type = 'league_changed'").fetchone()[0]
        status = conn.execute("SELECT status FROM seasons_season WHERE id = %s", [sid]).fetchone()[0]
        # A full cohort of 30 with XP moves 7 up: any cohort that moved more would be a double move.
        over = conn.execute(
            """
            SELECT count(*) FROM (
                SELECT cohort_id FROM seasons_seasonresult WHERE season_id = %s AND movement = 'up'
                GROUP BY cohort_id HAVING count(*) > 7) t
            """,
            [sid],
        ).fetchone()[0]
    print(f"resumed run: {t2 - t1:.1f}s; wall time, kill included: {t2 - t0:.1f}s", flush=True)
    print(f"results {results:,} (distinct player-modes {distinct:,}), moved {moved}, league_changed events {events:,}")
    ok = results == distinct == expected and events == moved.get("up", 0) + moved.get("down", 0)
    ok = ok and status == "closed" and over == 0
    print("OK: every player closed exactly once" if ok else "MISMATCH", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
