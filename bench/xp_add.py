"""Load benchmark of POST /api/v1/xp/add/ under gunicorn, beside the same write as raw SQL.

    .venv/bin/python bench/xp_add.py                # make bench: 3 interleaved rounds x 15 s per phase
    .venv/bin/python bench/xp_add.py --rounds 5 --duration 20
    .venv/bin/python bench/xp_add.py --profile 20   # + py-spy on every gunicorn worker (pip install py-spy)

What it does, all on 127.0.0.1:
  1. creates (if missing) and migrates the PostgreSQL database ``igo_bench``; Redis DB 5 is the
     cache/session store and rank index (flushed at start: it belongs to the benchmark);
  2. makes N players (default 2,000), each with a real session (the configured session engine,
     ``ultrabackend.sessions`` cached_db: the auth hash is checked, ``is_active`` is honoured) and a CSRF
     token, and a bench activity with a huge daily cap so that no request is refused by the cap;
  3. starts gunicorn (production settings, DEBUG off, durable commits, sync workers);
  4. per round, interleaved: wrk with 16 connections across all players; 16 psycopg processes
     running ``core.services.xp.store.STATEMENTS[(mode, False)]`` with the same parameters across all players; the same
     two on one hot player. Prints req/s, p50, p99 (HTTP) and tx/s, p50, p99 (raw SQL), the ratio
     HTTP/raw of the same round, CPU per request of the gunicorn workers and of PostgreSQL, and
     the medians over rounds. Every HTTP status is counted (non-201 must be 0).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB", "igo_bench")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/5")
ACTIVITY = "bench-run"
UNITS = Decimal("1.5")
BODY = json.dumps({"activity": ACTIVITY, "units": float(UNITS), "note": "bench"})
LUA = str(Path(__file__).resolve().parent / "xp_add.lua")


# --- set-up -----------------------------------------------------------------------------------


def prepare(players: int, workdir: Path) -> dict[str, object]:
    """Players, sessions, CSRF tokens and the bench activity; returns what the phases need."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection
    from django.utils.module_loading import import_string

    from users.models import CustomUser
    from xp.models import ActivityType, UserProfile

    activity, _ = ActivityType.objects.update_or_create(
        key=ACTIVITY,
        defaults=dict(
            name="Bench run",
            mode="reality",
            unit="km",
            xp_per_unit=Decimal("10"),
            max_units_per_entry=Decimal("1000"),
            daily_unit_cap=Decimal("9999999999"),
            is_active=True,
        ),
    )
    have = CustomUser.objects.filter(username__startswith="bench_").count()
    if have < players:
        CustomUser.objects.bulk_create(
            [CustomUser(username=f"bench_{i:07d}", password="!", is_active=True) for i in range(have, players)],
            batch_size=5000,
        )
    users = list(CustomUser.objects.filter(username__startswith="bench_").order_by("id")[:players])
    UserProfile.objects.bulk_create([UserProfile(user=u) for u in users], ignore_conflicts=True, batch_size=5000)

    # Fresh sessions each run (Redis DB is flushed): the server's own session engine writes them,
    # to the database and the cache, exactly as login() does.
    store_cls = import_string(settings.SESSION_ENGINE + ".SessionStore")
    backend = settings.AUTHENTICATION_BACKENDS[0]
    lines = []
    for u in users:
        s = store_cls()
        s[SESSION_KEY] = str(u.pk)
        s[BACKEND_SESSION_KEY] = backend
        s[HASH_SESSION_KEY] = u.get_session_auth_hash()
        s.create()
        lines.append(f"{s.session_key} {secrets.token_hex(16)}")  # 32 chars: a CSRF secret
    many = workdir / "players.txt"
    many.write_text("\n".join(lines) + "\n")
    hot = workdir / "hot.txt"
    hot.write_text(lines[0] + "\n")
    # The rank index is built and marked ready, as in production (otherwise every response
    # ranks the player with COUNT(*) queries on the database fallback path).
    from core.services.seasons import rank_index
    from core.utils.dates import season_id_for, utc_now

    for mode in ("reality", "cyber"):
        rank_index.rebuild_board(season_id_for(utc_now()), mode)
    connection.close()
    return {
        "activity_id": activity.pk,
        "cap": activity.daily_unit_cap,
        "user_ids": [u.pk for u in users],
        "session_keys": [line.split()[0] for line in lines],
        "many": str(many),
        "hot": str(hot),
    }


def set_game(achievements: int | None, boost: bool) -> str:
    """The game around the award (issue 26's A/B): ``achievements`` active achievements (the
    seeded defaults first, then total-XP ones with out-of-reach thresholds; None leaves them as
    migrated) and, with ``boost``, a running x1.25 boost on every activity. Returns a label."""
    if achievements is None and not boost:
        return "achievements and boosts as migrated"
    from datetime import timedelta

    from achievements.models import Achievement, XPBoost

    if achievements is not None:
        for n in range(max(0, achievements - Achievement.objects.count())):
            Achievement.objects.get_or_create(
                key=f"bench_{n}", defaults={"name_en": f"Bench {n}", "kind": "total_xp", "bronze": Decimal(10**11 + n)}
            )
        active = list(Achievement.objects.order_by("pk").values_list("pk", flat=True)[:achievements])
        Achievement.objects.exclude(pk__in=active).update(is_active=False)
        Achievement.objects.filter(pk__in=active).update(is_active=True)
    XPBoost.objects.filter(name="bench").delete()
    if boost:
        now = datetime.now(UTC)
        XPBoost.objects.create(
            name="bench", multiplier=Decimal("1.25"), starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
        )
    active_count = Achievement.objects.filter(is_active=True).count()
    return f"{active_count} active achievements, {'a x1.25 boost running' if boost else 'no boost'}"


def raw_params(setup: dict[str, object]) -> dict[str, object]:
    """The constant part of what the hot path sends: built by the served code's own
    ``store.parameters`` (so the raw phase can never drift from the statement), plus the checks
    of the checked statement (``store.write_checked_entry``)."""
    from core.services.xp import store
    from xp.models import ActivityType

    activity = ActivityType.objects.get(pk=setup["activity_id"])
    now = datetime.now(UTC)
    w = store.XPWrite(
        user_id=0,
        activity=activity,
        units=UNITS,
        xp=int(UNITS * activity.xp_per_unit),
        source="web",
        now=now,
        note="bench",
    )
    params = dict(store.parameters(w))
    params.update(
        xp_per_unit=activity.xp_per_unit,
        max_units=activity.max_units_per_entry,
        review_above=getattr(activity, "review_above", None),
        password="!",
        quota_limit=100000,
    )
    return params


# --- raw SQL phase ------------------------------------------------------------------------------


def _raw_worker(*args: Any) -> None:
    """``_raw_loop`` in a child process; a failure is reported to the parent, which would otherwise
    wait forever for this worker's latencies."""
    try:
        _raw_loop(*args)
    except Exception as exc:
        args[-1].put(repr(exc))
        raise


def _raw_loop(
    url: str,
    sql: str,
    params: dict[str, object],
    uids: list[tuple[int, str]],
    start_at: float,
    duration: float,
    out: mp.Queue,  # type: ignore[type-arg]
) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, prepare_threshold=2) as conn:  # as Django is set up
        cur = conn.cursor()
        lat: list[float] = []
        i = 0
        while time.time() < start_at:
            time.sleep(0.001)
        end = start_at + duration
        while True:
            if time.time() >= end:
                break
            t0 = time.perf_counter()
            uid, session_key = uids[i % len(uids)]
            now = datetime.now(UTC)
            p = dict(params, uid=uid, by=uid, session_key=session_key, now=now, quota_window=int(now.timestamp()))
            cur.execute(sql, p)
            cur.fetchone()
            lat.append((time.perf_counter() - t0) * 1000)
            i += 1
    out.put(lat)


def run_raw(
    sql: str, params: dict[str, object], uids: list[tuple[int, str]], clients: int, duration: float, meter: c.CpuMeter
) -> dict[str, float]:
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    start_at = time.time() + 1.5
    share = max(1, len(uids) // clients)
    procs = [
        mp.Process(
            target=_raw_worker,
            args=(c.database_url(DB), sql, params, uids[k * share : (k + 1) * share] or uids, start_at, duration, q),
        )
        for k in range(clients)
    ]
    for p in procs:
        p.start()
    while time.time() < start_at:
        time.sleep(0.01)
    meter.groups["client"] = [p.pid for p in procs if p.pid]
    meter.groups["pg"] = _backend_pids
    meter.start()
    time.sleep(max(0.0, start_at + duration - 0.25 - time.time()))
    cpu = meter.stop()  # before the clients disconnect (their backends' CPU is read from /proc)
    cpu = {k: v * duration / cpu["wall"] for k, v in cpu.items()}  # per the whole phase
    results = [q.get() for _ in procs]
    failed = [r for r in results if isinstance(r, str)]
    if failed:
        raise SystemExit(f"raw SQL workers failed: {failed[0]}")
    lat = [x for r in results for x in r]
    for p in procs:
        p.join()
    lat.sort()
    n = len(lat)
    return {
        "tps": n / duration,
        "n": n,
        "p50": c.pct(lat, 0.5),
        "p99": c.pct(lat, 0.99),
        "pg_ms": 1000 * cpu["pg"] / n,
        "client_ms": 1000 * cpu["client"] / n,
    }


def _backend_pids() -> list[int]:
    import psycopg

    with psycopg.connect(c.database_url("postgres"), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [DB]).fetchall()
        walw = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'walwriter'").fetchall()
    return [r[0] for r in rows + walw]


def vacuum() -> None:
    import psycopg

    with psycopg.connect(c.database_url(DB), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) xp_userprofile, seasons_seasonscore, xp_dailyusage, xp_xpentry")
        conn.execute("CHECKPOINT")


# --- HTTP phase -----------------------------------------------------------------------------


def run_http(
    server: c.Server, players_file: str, duration: int, connections: int, meter: c.CpuMeter
) -> dict[str, object]:
    env = dict(os.environ, BENCH_PLAYERS=players_file, BENCH_BODY=BODY)
    meter.groups["app"] = server.worker_pids()
    meter.groups["pg"] = _backend_pids
    meter.groups["redis"] = "redis-server"
    meter.groups["wrk"] = "wrk"
    b0 = c.machine_cpu()
    meter.start()
    res = c.run_wrk(f"http://{c.HOST}:{server.port}/api/v1/xp/add/", LUA, duration, connections, env=env)
    cpu = meter.stop()
    b1 = c.machine_cpu()
    n = int(res["requests"])  # type: ignore[arg-type]
    res.update(
        app_ms=1000 * cpu["app"] / n,
        pg_ms=1000 * cpu["pg"] / n,
        redis_ms=1000 * cpu["redis"] / n,
        machine_busy=(b1[0] - b0[0]) / max(1, b1[1] - b0[1]),
    )
    return res


def profile_workers(server: c.Server, players_file: str, seconds: int, connections: int, outdir: Path) -> None:
    """py-spy on every worker while the many-players load runs; prints the top frames."""
    pyspy = Path(c.PY).parent / "py-spy"
    if not pyspy.exists():
        print("py-spy not installed (.venv/bin/pip install py-spy): skipping the profile")
        return
    outs = []
    procs = []
    for pid in server.worker_pids():
        out = outdir / f"pyspy-{pid}.txt"
        outs.append(out)
        procs.append(
            subprocess.Popen(
                [
                    str(pyspy),
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(seconds),
                    "--rate",
                    "250",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "--gil",
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(1)
    env = dict(os.environ, BENCH_PLAYERS=players_file, BENCH_BODY=BODY)
    res = c.run_wrk(f"http://{c.HOST}:{server.port}/api/v1/xp/add/", LUA, seconds, connections, env=env)
    for p in procs:
        p.wait()
    print(f"\nprofile run (py-spy attached, {seconds}s): {res['rps']:.0f} req/s, statuses {res['statuses']}")
    summarize_profile(outs)


def summarize_profile(files: list[Path], top: int = 40) -> None:
    """Inclusive and self share of CPU samples per function, from py-spy raw (collapsed) output."""
    inclusive: dict[str, int] = {}
    self_: dict[str, int] = {}
    total = 0
    for f in files:
        if not f.exists():
            continue
        for line in f.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            n = int(count)
            total += n
            frames = [
                fr.split(" (")[0] + " (" + fr.split(" (")[1].split("/")[-1] if " (" in fr else fr
                for fr in stack.split(";")
            ]
            for fr in set(frames):
                inclusive[fr] = inclusive.get(fr, 0) + n
            self_[frames[-1]] = self_.get(frames[-1], 0) + n
    if not total:
        print("no samples")
        return
    print(
        f"\n{total} samples holding the GIL (Python CPU; waits on PostgreSQL/Redis excluded). Inclusive share, top {top}:"
    )
    for fr, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {100 * n / total:5.1f}%  {fr}")
    print(f"\nSelf share, top {top // 2}:")
    for fr, n in sorted(self_.items(), key=lambda kv: -kv[1])[: top // 2]:
        print(f"  {100 * n / total:5.1f}%  {fr}")


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--players", type=int, default=2000)
    ap.add_argument("--duration", type=int, default=15, help="seconds per phase")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=c.WORKERS)
    ap.add_argument("--server-args", default="", help="extra gunicorn flags, e.g. '--worker-class gthread --threads 2'")
    ap.add_argument("--profile", type=int, default=0, help="seconds of py-spy profiling after the rounds")
    ap.add_argument("--only", choices=["many", "hot"], default=None)
    ap.add_argument("--no-raw", action="store_true")
    ap.add_argument("--warmup", type=int, default=20, help="seconds of load before the rounds")
    ap.add_argument("--achievements", type=int, default=None, help="active achievements (default: as migrated)")
    ap.add_argument("--boost", action="store_true", help="a running x1.25 boost on every activity")
    ap.add_argument(
        "--commit", default=None, help="serve this commit (git archive to a temp dir) instead of the working tree"
    )
    args = ap.parse_args()

    c.require_wrk()
    c.use_commit(args.commit)
    env = c.server_env(DB, REDIS)
    c.ensure_database(DB)
    import redis

    redis.Redis.from_url(REDIS).flushdb()
    t = time.time()
    c.migrate(env)
    c.setup_django(env)
    from core.services.xp import store

    workdir = Path(tempfile.mkdtemp(prefix="igo-bench-"))
    setup = prepare(args.players, workdir)
    game = set_game(args.achievements, args.boost)
    params = raw_params(setup)
    # The statement the hot path sends for a signed-in session (credential, activity and quota
    # checked inside it), with the same parameters.
    sql = store.CHECKED_STATEMENTS[("reality", store.GATE_SESSION)]
    print(
        f"measured {c.MEASURED}; nproc {os.cpu_count()}; database {DB}; {args.players} players with sessions; "
        f"set-up {time.time() - t:.1f}s; {game}"
    )
    print(
        f"gunicorn: {args.workers} sync workers, production settings; wrk -t2 -c{args.connections} "
        f"-d{args.duration}s; raw SQL: {args.connections} psycopg processes, autocommit, prepared"
    )

    uids = list(zip(setup["user_ids"], setup["session_keys"], strict=True))  # type: ignore[call-overload]
    phases = [("many", setup["many"], uids), ("hot", setup["hot"], uids[:1])]
    if args.only:
        phases = [p for p in phases if p[0] == args.only]
    rows: dict[str, list[dict[str, object]]] = {}
    with c.Server(env, workers=args.workers, extra_args=shlex.split(args.server_args)) as server:
        # warm-up: imports, connections, prepared statements, and every worker has seen every
        # player's session once (the steady state: a session is used again and again)
        c.run_wrk(
            f"http://{c.HOST}:{server.port}/api/v1/xp/add/",
            LUA,
            args.warmup,
            args.connections,
            env=dict(os.environ, BENCH_PLAYERS=str(setup["many"]), BENCH_BODY=BODY),
        )
        for rnd in range(1, args.rounds + 1):
            for name, players_file, ids in phases:
                vacuum()
                h = run_http(server, str(players_file), args.duration, args.connections, c.CpuMeter({}))
                if args.no_raw:
                    r = {
                        "tps": float("nan"),
                        "p50": float("nan"),
                        "p99": float("nan"),
                        "pg_ms": float("nan"),
                        "client_ms": float("nan"),
                    }
                else:
                    vacuum()
                    r = run_raw(sql, params, ids, args.connections, args.duration, c.CpuMeter({}))
                ratio = float(h["rps"]) / r["tps"]  # type: ignore[arg-type]
                rows.setdefault(name, []).append({"http": h, "raw": r, "ratio": ratio})
                print(
                    f"round {rnd} {name:4s}: HTTP {h['rps']:7.0f} req/s p50 {h['p50']:6.2f} ms p99 {h['p99']:6.2f} ms "
                    f"[{h['statuses']}{' socket errors ' + str(h['socket_errors']) if h['socket_errors'] else ''}] "
                    f"app {h['app_ms']:.2f} ms/req, pg {h['pg_ms']:.2f} ms/req, redis {h['redis_ms']:.2f}; "
                    f"machine busy {100 * h['machine_busy']:.0f}% | "
                    f"raw {r['tps']:7.0f} tx/s p50 {r['p50']:5.2f} ms p99 {r['p99']:6.2f} ms pg {r['pg_ms']:.2f} ms/tx "
                    f"| ratio {ratio:.3f}",
                    flush=True,
                )
        if args.profile:
            profile_workers(server, str(setup["many"]), args.profile, args.connections, workdir)

    print("\nmedians over rounds:")
    print(
        "| workload | HTTP req/s | p50 ms | p99 ms | non-201 | app CPU ms/req | PG CPU ms/req | raw SQL tx/s | raw p50 ms | raw p99 ms | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for name, rs in rows.items():

        def h(k: str, rs: list[dict[str, object]] = rs) -> float:
            return c.median([float(x["http"][k]) for x in rs])  # type: ignore[index]

        def rw(k: str, rs: list[dict[str, object]] = rs) -> float:
            return c.median([float(x["raw"][k]) for x in rs])  # type: ignore[index]

        bad = sum(
            sum(int(v) for k, v in (kv.split("=") for kv in str(x["http"]["statuses"]).split()) if k != "201")
            for x in rs
        )
        ratio = c.median([float(x["ratio"]) for x in rs])
        label = "many players" if name == "many" else "one hot player"
        print(
            f"| {label} | {h('rps'):.0f} | {h('p50'):.2f} | {h('p99'):.2f} | {bad} | {h('app_ms'):.2f} | {h('pg_ms'):.2f} "
            f"| {rw('tps'):.0f} | {rw('p50'):.2f} | {rw('p99'):.2f} | {ratio:.3f} |"
        )
        summary[name] = {
            "rounds": [
                {"http": {k: v for k, v in x["http"].items() if k != "raw"}, "raw": x["raw"], "ratio": x["ratio"]}
                for x in rs
            ]
        }
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"xp_add-{stamp}.json").write_text(
        json.dumps({"commit": c.MEASURED, "args": vars(args), **summary}, indent=1, default=str)
    )


if __name__ == "__main__":
    mp.set_start_method("fork")
    main()
