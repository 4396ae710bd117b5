"""Leaderboard page + own rank at 1,000,000 players: Redis path vs database path vs a trivial
endpoint, in the same run. Run bench/generate_players.py first.

    .venv/bin/python bench/leaderboard.py                    # 3 interleaved rounds, 8 s per phase
    .venv/bin/python bench/leaderboard.py --explain          # + EXPLAIN ANALYZE of the database path

Two gunicorn servers on the same database (``igo_bench_1m``): one with REDIS_URL (rank index,
cached sessions), one without (database path, database sessions). wrk with one connection
(keep-alive, one request at a time: per-request latency, which is what the goals are about) and
signed in as a player deep in the board, so every page also computes ``me`` (rank and neighbours).
Pages: first, middle and deep of GET /api/v1/seasons/reality/; trivial: GET /api/v1/health/.
Goals: Redis path p50 <= 10 ms and <= 1.5 x trivial p50; database path p50 <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB_1M", "igo_bench_1m")
REDIS = os.environ.get("BENCH_REDIS_1M", "redis://127.0.0.1:6379/6")


def sign_in_deep_player(fraction: float) -> tuple[int, int, str, int]:
    """(user id, position, session key, board size) for the player at ``fraction`` of the board."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection
    from django.utils.module_loading import import_string

    from core.utils.dates import season_id_for, utc_now
    from seasons.models import SeasonScore
    from users.models import CustomUser

    sid = season_id_for(utc_now())
    board = SeasonScore.objects.filter(season_id=sid, mode="reality", xp__gt=0)
    size = board.count()
    position = int(size * fraction)
    uid = board.order_by("-xp", "reached_at", "user_id").values_list("user_id", flat=True)[position]
    user = CustomUser.objects.get(pk=uid)
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()  # cached_db: database + Redis
    store[SESSION_KEY] = str(uid)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    connection.close()
    return uid, position, store.session_key, size  # type: ignore[return-value]


def fetch(port: int, path: str, cookie: str) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(f"http://{c.HOST}:{port}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def explain_database_path(me_id: int, pages: dict[str, int]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every query the database path runs, per page."""
    from django.db import connection

    from core.selectors.seasons import leaderboard as lb
    from core.utils.dates import season_id_for, utc_now

    sid = season_id_for(utc_now())
    for name, page in pages.items():
        captured: list[tuple[str, object]] = []

        def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            captured.append((sql, params))  # noqa: B023
            return execute(sql, params, many, context)

        t0 = time.perf_counter()
        with connection.execute_wrapper(wrapper):
            lb._from_database(sid, "reality", None, (page - 1) * 50, 50, me_id)
        total = (time.perf_counter() - t0) * 1000
        print(f"\n=== database path, page {page} ({name}): {len(captured)} queries, {total:.1f} ms in-process ===")
        with connection.cursor() as cur:
            for sql, params in captured:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
                plan = [row[0] for row in cur.fetchall()]
                exec_ms = next((p for p in plan if p.startswith("Execution Time")), "")
                print(f"\n-- {exec_ms}\n{cur.mogrify(sql, params) if hasattr(cur, 'mogrify') else sql}")
                print("\n".join("   " + p for p in plan if not p.startswith(("Planning", "Execution"))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=8, help="seconds per phase")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--workers", type=int, default=c.WORKERS)
    ap.add_argument("--me-fraction", type=float, default=0.75, help="where the signed-in player stands")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="in-process: CPU per request, round trips and top functions of the Redis path",
    )
    ap.add_argument("--commit", default=None, help="serve this commit (git archive) instead of the working tree")
    args = ap.parse_args()

    c.require_wrk()
    c.use_commit(args.commit)
    env_redis = c.server_env(DB, REDIS)
    env_db = c.server_env(DB, None)
    c.migrate(env_redis)  # no-op when generate_players ran with the same code
    c.setup_django(env_redis)
    from core.selectors.seasons import rank_keys
    from core.utils.dates import season_id_for, utc_now
    from ultrabackend import redis as r

    sid = season_id_for(utc_now())
    client = r.get_redis()
    if not client.exists(rank_keys.ready_key(sid, "reality")):  # type: ignore[union-attr]
        sys.exit(f"the rank index of {sid} is not built in {REDIS}: run bench/generate_players.py first")
    me_id, position, session_key, size = sign_in_deep_player(args.me_fraction)
    last = (size + 49) // 50
    pages = {"first": 1, "middle": max(1, last // 2), "deep": max(1, last - 10)}
    cookie = f"sessionid={session_key}"
    print(
        f"measured {c.MEASURED}; nproc {os.cpu_count()}; {size:,} players on the {sid} reality board; "
        f"signed in as user {me_id} at position {position + 1:,}; pages {pages}"
    )
    print(f"gunicorn {args.workers} sync workers per server; wrk -t1 -c{args.connections} -d{args.duration}s per phase")

    results: dict[str, list[dict[str, object]]] = {}
    with (
        c.Server(env_redis, workers=args.workers, port=c.PORT + 1) as srv_redis,
        c.Server(env_db, workers=args.workers, port=c.PORT + 2) as srv_db,
    ):
        # correctness first: both paths answer the same ranks for me and the first page
        for name, page in pages.items():
            a = fetch(srv_redis.port, f"/api/v1/seasons/reality/?page={page}", cookie)
            b = fetch(srv_db.port, f"/api/v1/seasons/reality/?page={page}", cookie)
            assert a["me"] and a["me"]["rank"] == b["me"]["rank"], (a["me"], b["me"])
            assert [x["rank"] for x in a["results"]] == [x["rank"] for x in b["results"]], name
            assert [x["user"]["id"] for x in a["results"]] == [x["user"]["id"] for x in b["results"]], name
            print(
                f"  page {page} ({name}): both paths agree; first rank {a['results'][0]['rank']}, "
                f"me rank {a['me']['rank']}"
            )
        phases = [("trivial", srv_redis, "/api/v1/health/")]
        # The same authentication as the board (session from Redis + the user row), nothing else:
        # what a signed-in page costs before it does any work of its own.
        phases += [("signed-in trivial", srv_redis, "/api/v1/auth/session/")]
        phases += [(f"redis {n}", srv_redis, f"/api/v1/seasons/reality/?page={p}") for n, p in pages.items()]
        phases += [(f"database {n}", srv_db, f"/api/v1/seasons/reality/?page={p}") for n, p in pages.items()]
        phases += [("trivial (db server)", srv_db, "/api/v1/health/")]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(f'wrk.headers["Cookie"] = "{cookie}"\n')
            script = f.name
        for _, srv, path in phases:  # warm-up, signed in as measured: every worker (3 connections), every page
            c.run_wrk(f"http://{c.HOST}:{srv.port}{path}", script, 1, 3, threads=1)
        for rnd in range(1, args.rounds + 1):
            line = []
            for name, srv, path in phases:
                res = c.run_wrk(f"http://{c.HOST}:{srv.port}{path}", script, args.duration, args.connections, threads=1)
                bad = int(res["non2xx3xx"])  # type: ignore[arg-type]
                results.setdefault(name, []).append({k: v for k, v in res.items() if k != "raw"})
                line.append(
                    f"{name} {res['p50']:.2f}/{res['p99']:.2f} ms {res['rps']:.0f}/s"
                    + (f" NON-2XX {bad}" if bad else "")
                )
            print(f"round {rnd}: " + " | ".join(line), flush=True)

    med = {
        name: {k: c.median([float(x[k]) for x in rs]) for k in ("p50", "p99", "rps")} for name, rs in results.items()
    }
    ratios = [
        float(results[f"redis {n}"][i]["p50"]) / float(results["trivial"][i]["p50"])  # type: ignore[arg-type]
        for n in pages
        for i in range(args.rounds)
    ]
    print(f"\nmedians over {args.rounds} rounds (p50 / p99 ms, req/s at {args.connections} connection(s)):")
    print("| path | page | p50 ms | p99 ms | req/s | p50 / trivial p50 (same round, median) |")
    print("|---|---|---|---|---|---|")
    for name in results:
        if name.startswith(("trivial", "signed-in")):
            ratio = ""
        else:
            base = "trivial" if name.startswith("redis") else "trivial (db server)"
            ratio = "{:.2f}".format(
                c.median(
                    [
                        float(results[name][i]["p50"]) / float(results[base][i]["p50"])  # type: ignore[arg-type]
                        for i in range(args.rounds)
                    ]
                )
            )
        path, _, page = name.partition(" ")
        print(
            f"| {path} | {page or '/api/v1/health/'} | {med[name]['p50']:.2f} | {med[name]['p99']:.2f} | {med[name]['rps']:.0f} | {ratio} |"
        )
    print(f"Redis path p50 / trivial p50, all pages and rounds: median {c.median(ratios):.2f}, max {max(ratios):.2f}")
    signed = [
        float(results[f"redis {n}"][i]["p50"]) / float(results["signed-in trivial"][i]["p50"])  # type: ignore[arg-type]
        for n in pages
        for i in range(args.rounds)
    ]
    print(
        "Redis path p50 / signed-in trivial p50 (GET /api/v1/auth/session/: a signed-in request's session and user row): "
        f"median {c.median(signed):.2f}, max {max(signed):.2f}"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"leaderboard-{stamp}.json").write_text(
        json.dumps({"commit": c.MEASURED, "args": vars(args), "pages": pages, "results": results}, indent=1)
    )
    if args.profile:
        profile_redis_path(cookie, pages)
    if args.explain:
        explain_database_path(me_id, pages)


def profile_redis_path(cookie: str, pages: dict[str, int]) -> None:
    """The Redis-path page called in-process (WSGI app, no gunicorn): CPU, round trips, top functions."""
    import cProfile
    import io
    import pstats
    from wsgiref.util import setup_testing_defaults

    import redis as redis_lib
    from django.db import connection

    from ultrabackend.lean_handler import application

    app = application()  # what ultrabackend.wsgi serves: the board paths take the lean chain

    def get(path: str) -> int:
        status = []
        path, _, query = path.partition("?")
        environ = {
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": cookie,
            "REMOTE_ADDR": "127.0.0.1",
        }
        setup_testing_defaults(environ)  # a WSGI GET: method, protocol, wsgi.*
        resp = app(environ, lambda st, h: status.append(st))
        b"".join(resp)
        resp.close()
        return int(status[0][:3])

    trivial = {"trivial": "/api/v1/health/", "signed-in trivial": "/api/v1/auth/session/"}
    for name, page in [*((name, 0) for name in trivial), *pages.items()]:
        path = trivial.get(name) or f"/api/v1/seasons/reality/?page={page}"
        for _ in range(30):
            get(path)
        t0 = time.process_time()
        for _ in range(300):
            assert get(path) == 200
        cpu = (time.process_time() - t0) * 1000 / 300
        sql: list[str] = []
        rcalls: list[str] = []
        orig = redis_lib.Redis.execute_command

        def exec_cmd(self, *a, **k):  # type: ignore[no-untyped-def]
            rcalls.append(str(a[0]))  # noqa: B023
            return orig(self, *a, **k)  # noqa: B023

        def wrap(execute, q, params, many, context):  # type: ignore[no-untyped-def]
            sql.append(" ".join(q.split())[:90])  # noqa: B023
            return execute(q, params, many, context)

        redis_lib.Redis.execute_command = exec_cmd  # type: ignore[method-assign]
        with connection.execute_wrapper(wrap):
            get(path)
        redis_lib.Redis.execute_command = orig  # type: ignore[method-assign]
        print(f"\nin-process {name} ({path}): {cpu:.2f} ms CPU/request; {len(sql)} SQL, {len(rcalls)} Redis {rcalls}")
        for q in sql:
            print("   ", q)
    prof = cProfile.Profile()
    path = f"/api/v1/seasons/reality/?page={pages['middle']}"
    prof.enable()
    for _ in range(300):
        get(path)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(40)
    print(out.getvalue())


if __name__ == "__main__":
    main()
