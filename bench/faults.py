"""Requests, 5xx and p99 of POST /api/v1/xp/add/ during each fault (results: docs/reliability.md).

The server is gunicorn (production settings, BENCH_WORKERS sync workers, default 2) on its own
database ``igo_bench_faults`` (dropped and made again) and Redis DB 7 (flushed), each reached
through a FaultProxy (tests/reliability/harness.py). Phases, ``--duration`` seconds each, with
``--threads`` clients sending xp/add for 50 bot players through one service key:

  baseline -> Redis frozen -> Redis back -> Redis cut -> Redis back -> PostgreSQL cut -> PostgreSQL back

Every request has its own Idempotency-Key; after the run every refused one is sent again (as the
bot does after a 503) and the profile totals are compared with the ledger sums. Loopback only;
stops by itself.

    .venv/bin/python bench/faults.py --duration 10 --threads 4
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability import harness  # noqa: E402

PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = os.environ.get("BENCH_DB_FAULTS", "igo_bench_faults")
REDIS_DB = 7
PLAYERS = [str(80351110224679000 + n) for n in range(50)]


def reset_database(env: dict[str, str]) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--threads", type=int, default=4, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "2")))
    args = parser.parse_args()

    import redis

    redis.Redis(db=REDIS_DB).flushdb()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ultrabackend.settings.production",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
        JWT_SIGNING_KEY="bench-only-jwt-key-not-used-anywhere-else-0123456789",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"{PG}/{DB_NAME}",
    )
    reset_database(env)
    key = (
        subprocess.run(
            [sys.executable, "manage.py", "create_api_key", "bench-bot", "--scopes", "xp:write", "profile:read"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )

    pg_proxy = harness.FaultProxy(("127.0.0.1", int(PG.rsplit(":", 1)[1])))
    redis_proxy = harness.FaultProxy(("127.0.0.1", 6379))
    server = harness.start_server(
        database_url=f"{PG.rsplit(':', 1)[0]}:{pg_proxy.port}/{DB_NAME}",
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}/{REDIS_DB}",
        key_prefix="igobenchfaults",
        # the defaults of settings/base.py, spelled out
        extra_env={"REDIS_BREAKER_RESET_SECONDS": "5", "DB_CONNECT_TIMEOUT": "3"},
        workers=args.workers,
    )

    def send(idem: str) -> tuple[int, dict[str, str], object]:
        n = int(idem.split("-")[2])
        return harness.request(
            server.url,
            "POST",
            "/api/v1/xp/add/",
            body={"activity": "pushups" if n % 2 else "coding", "units": 1, "discord_id": PLAYERS[hash(idem) % 50]},
            headers={"Authorization": f"Api-Key {key}", "Idempotency-Key": idem},
            timeout=30,
        )

    phases: list[tuple[str, object]] = [
        ("baseline", None),
        ("redis frozen", redis_proxy.freeze),
        ("redis back", redis_proxy.restore),
        ("redis cut", redis_proxy.cut),
        ("redis back again", redis_proxy.restore),
        ("postgres cut", pg_proxy.cut),
        ("postgres back", pg_proxy.restore),
    ]
    try:
        load = harness.Load(send, threads=args.threads, max_seconds=args.duration * len(phases) + 60)
        # warm-up: connections, prepared statements, the season's boards
        for i in range(20):
            send(f"warm-0-{i}-x")
        marks: list[tuple[str, float]] = []
        load.start()
        for name, action in phases:
            if callable(action):
                action()
            marks.append((name, time.monotonic()))
            time.sleep(args.duration)
        end = time.monotonic()
        samples = load.stop()

        print(f"\nxp/add, {args.threads} clients, {args.workers} gunicorn workers, {args.duration:g} s per phase\n")
        print("| phase | requests | 5xx | of which 503 | other | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|---|---|---|---|")
        for i, (name, start) in enumerate(marks):
            stop = marks[i + 1][1] if i + 1 < len(marks) else end
            part = harness.between(samples, start, stop)
            fivexx = sum(s.status >= 500 for s in part)
            other = sum(s.status not in (201, 503) for s in part)
            times = sorted(s.seconds for s in part) or [0.0]
            print(
                f"| {name} | {len(part)} | {fivexx} | {sum(s.status == 503 for s in part)} | {other} | "
                f"{times[len(times) // 2] * 1000:.0f} | {harness.p99(part) * 1000:.0f} | {times[-1] * 1000:.0f} |"
            )
        bad = [s for s in samples if s.status not in (201, 503)]
        no_retry_after = [s for s in samples if s.status == 503 and not (s.retry_after or "").isdigit()]
        print(f"\nanswers other than 201/503: {len(bad)}; 503 without Retry-After: {len(no_retry_after)}")

        accepted = {s.key for s in samples if s.status == 201}
        for s in samples:
            if s.status != 201 and s.key not in accepted:
                status, _, body = send(s.key)
                if status != 201:
                    raise SystemExit(f"retry of {s.key} answered {status}: {body}")
                accepted.add(s.key)
        import psycopg

        with psycopg.connect(f"{PG}/{DB_NAME}") as conn:
            entries = conn.execute("SELECT count(*) FROM xp_xpentry").fetchone()[0]  # type: ignore[index]
            mismatched = conn.execute(
                "SELECT count(*) FROM xp_userprofile p LEFT JOIN "
                "(SELECT user_id, sum(xp) AS s FROM xp_xpentry GROUP BY user_id) l ON l.user_id = p.user_id "
                "WHERE p.total_xp <> coalesce(l.s, 0)"
            ).fetchone()[0]  # type: ignore[index]
        print(
            f"after retrying refused requests: {len(accepted)} accepted keys (+20 warm-up), {entries} ledger entries, "
            f"{mismatched} profiles whose total differs from the ledger"
        )
    finally:
        server.stop()
        pg_proxy.close()
        redis_proxy.close()


if __name__ == "__main__":
    main()
