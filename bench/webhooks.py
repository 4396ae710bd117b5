"""Domain events through the task queue to a real receiver: throughput and commit-to-200 latency.

    .venv/bin/python bench/webhooks.py                      # 10,000 awards, each with a level-up
    .venv/bin/python bench/webhooks.py --awards 2000 --workers 2 --concurrency 8 --ab-rounds 0
    .venv/bin/python bench/webhooks.py --awards 12000 --rate 200 --backlog 0 --ab-rounds 0   # latency at 200/s

What it does, all on 127.0.0.1:
  1. creates (if missing) and migrates the PostgreSQL database ``igo_bench_webhooks`` (its job
     and event tables are emptied first: it belongs to the benchmark);
  2. starts a receiver (ThreadingHTTPServer) that verifies every request with
     ``standardwebhooks.Webhook(secret).verify`` and answers 200, and subscribes it to
     ``level_up`` and ``layer_up`` (production settings, WEBHOOK_ALLOW_PRIVATE_TARGETS=True);
  3. live phase: starts ``--workers`` worker processes (``manage.py run_worker``: jobs and the
     event pump, which fans out and delivers in batches over pooled connections), then
     16 threads make ``--awards`` awards through ``award_xp`` (players chosen so that every award
     crosses a level: one ``level_up`` each, and ``layer_up`` now and then). Reports events/s
     from the first commit to the last 200, and p50/p99/max of commit → receiver's 200 per event;
  4. backlog phase: workers stopped, ``--backlog`` more awards, then workers started: the drain
     rate (events/s) of a backlog;
  0. first, the cost on the hot path: the XP statement with and without the event CTEs
     (interleaved rounds, 16 threads, awards of 15 XP to 2,000 players as bench/xp_add.py), tx/s;
  5. checks: every event delivered, every signature valid, no event under two webhook ids.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB", "igo_bench_webhooks")
THREADS = 16


class _Server(ThreadingHTTPServer):
    # The listen backlog of socketserver is 5: two worker processes with 64 requests in flight
    # each overflow it, and the refused connections come back as retries (ReadError) that hold
    # back every later event of the same player. A receiver in production has a real backlog.
    request_queue_size = 1024


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.lock = threading.Lock()
        self.first_at: dict[str, float] = {}  # msg id -> first 200
        self.ids_per_event: dict[tuple[int, int], set[str]] = {}
        self.last_sequence: dict[int, int] = {}  # player -> last sequence received
        self.out_of_order = 0
        self.entry_of: dict[str, int] = {}
        self.bad = 0
        self.requests = 0
        handler = self._handler()
        self.server = _Server((c.HOST, 0), handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://{c.HOST}:{self.server.server_address[1]}/hooks"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        from standardwebhooks import Webhook, WebhookVerificationError

        rec = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    payload = Webhook(rec.secret).verify(body, dict(self.headers.items()))
                    status = 200
                except WebhookVerificationError:
                    payload, status = None, 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                now = time.monotonic()
                with rec.lock:
                    rec.requests += 1
                    if payload is None:
                        rec.bad += 1
                        return
                    msg = self.headers["webhook-id"]
                    rec.first_at.setdefault(msg, now)
                    data = payload["data"]
                    rec.ids_per_event.setdefault((data["user"]["id"], data["sequence"]), set()).add(msg)
                    if data["sequence"] < rec.last_sequence.get(data["user"]["id"], 0):
                        rec.out_of_order += 1
                    rec.last_sequence[data["user"]["id"]] = max(
                        data["sequence"], rec.last_sequence.get(data["user"]["id"], 0)
                    )
                    rec.entry_of[msg] = data["entry_id"]

        return Handler

    def delivered(self) -> int:
        with self.lock:
            return len(self.first_at)


def start_workers(env: dict[str, str], count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [c.PY, "manage.py", "run_worker", "--concurrency", str(concurrency)],
            cwd=c.SRC,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=30)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait()


def award_plan(players: list[Any], awards: int) -> list[list[tuple[Any, int]]]:
    """(player, xp) pairs per thread: a player's awards all in one thread, in order, each taking
    the player exactly to the next level (floor(100 n^1.5)): one level_up per award."""
    from core.constants.levels import xp_for_level

    per_player = -(-awards // len(players))
    plan = [(p, xp_for_level(k + 2) - xp_for_level(k + 1)) for k in range(per_player) for p in players][:awards]
    index = {p.pk: i for i, p in enumerate(players)}
    return [[(p, xp) for p, xp in plan if index[p.pk] % THREADS == t] for t in range(THREADS)]


def run_awards(
    parts: list[list[tuple[Any, int]]], activity: Any, commits: dict[int, float], rate: float = 0.0
) -> float:
    """Award each part in its own thread (with ``rate``: paced at that many awards a second over
    all threads, the j-th award of thread t due at start + (j x THREADS + t) / rate); returns the
    wall time."""
    from django.db import connection

    from core.services.xp import award_xp

    lock = threading.Lock()
    started = time.monotonic()

    def work(t: int, part: list[tuple[Any, int]]) -> None:
        try:
            for j, (player, xp) in enumerate(part):
                if rate:
                    time.sleep(max(0.0, started + (j * THREADS + t) / rate - time.monotonic()))
                award = award_xp(user=player, activity=activity, units=Decimal(xp), source="bot")
                done = time.monotonic()
                with lock:
                    commits[award.entry.pk] = done
        finally:
            connection.close()

    t = time.monotonic()
    threads = [threading.Thread(target=work, args=(i, p)) for i, p in enumerate(parts)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return time.monotonic() - t


def statement_ab(activity: Any, players: list[Any], rounds: int, seconds: float) -> dict[str, list[float]]:
    """The XP statement with and without the event CTEs, interleaved rounds of THREADS threads
    writing awards (15 XP each, as bench/xp_add.py: level-ups now and then) to many players.
    Returns statements per second per round for each variant."""
    from django.db import connection

    from core.services.events import domain_events
    from core.services.xp import store
    from core.utils.dates import utc_now

    with_events = store.STATEMENTS[("reality", False)]
    real = domain_events.award_events_sql
    domain_events.award_events_sql = lambda *a, **k: ""  # type: ignore[assignment]
    try:
        without = store._statement("reality", correction=False)
    finally:
        domain_events.award_events_sql = real
    assert without != with_events and "ev_seq" in with_events and "ev_seq" not in without
    rates: dict[str, list[float]] = {"without events": [], "with events": []}
    ids = [p.pk for p in players]

    def run(sql: str) -> float:
        counts = [0] * THREADS
        stop = time.monotonic() + seconds

        def work(t: int) -> None:
            try:
                with connection.cursor() as cursor:
                    i = t
                    while time.monotonic() < stop:
                        w = store.XPWrite(
                            user_id=ids[i % len(ids)],
                            activity=activity,
                            units=Decimal(15),
                            xp=15,
                            source="bot",
                            now=utc_now(),
                        )
                        cursor.execute(sql, store.parameters(w))
                        cursor.fetchone()
                        counts[t] += 1
                        i += THREADS
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        return sum(counts) / seconds

    run(with_events)  # warm-up (prepared statements, caches)
    for _ in range(rounds):
        rates["without events"].append(run(without))
        rates["with events"].append(run(with_events))
    return rates


def wait_delivered(receiver: Receiver, expected: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while receiver.delivered() < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return time.monotonic()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--awards", type=int, default=10_000)
    ap.add_argument("--players", type=int, default=1000)
    ap.add_argument("--backlog", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=1, help="worker processes")
    ap.add_argument("--concurrency", type=int, default=8, help="jobs at once per worker (procrastinate)")
    ap.add_argument("--skip-live", action="store_true", help="only the backlog phase")
    ap.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="live phase: awards per second over all threads (0: as fast as possible)",
    )
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--ab-rounds", type=int, default=4, help="interleaved rounds of the statement A/B (0: skip)")
    ap.add_argument("--ab-seconds", type=float, default=8)
    ap.add_argument("--only-ab", action="store_true", help="measure the statement A/B only")
    ap.add_argument("--commit", default=None, help="measure this commit (git archive) instead of the working tree")
    args = ap.parse_args()

    c.use_commit(args.commit)
    env = c.server_env(DB, None)
    env["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "True"
    c.ensure_database(DB)
    c.migrate(env)
    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "True"  # read by the settings in setup_django
    c.setup_django(env)

    from django.db import connection

    from core.services.events import webhooks
    from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint
    from users.models import CustomUser
    from xp.models import ActivityType, UserProfile

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_periodic_defers")
        cursor.execute("DELETE FROM procrastinate_jobs")
    WebhookDelivery.objects.all().delete()
    WebhookEndpoint.objects.all().delete()
    DomainEvent.objects.all().delete()
    activity, _ = ActivityType.objects.update_or_create(
        key="bench-hooks",
        defaults={
            "name": "Bench hooks",
            "mode": "reality",
            "unit": "point",
            "xp_per_unit": Decimal(1),
            "max_units_per_entry": Decimal(10**9),
            "daily_unit_cap": None,
            "is_active": True,
        },
    )
    receiver = Receiver()
    endpoint = webhooks.create_endpoint(url=receiver.url, event_types=["level_up", "layer_up"])
    receiver.secret = endpoint.secret
    stamp = int(time.time())

    def fresh_players(n: int, tag: str) -> list[Any]:
        users = CustomUser.objects.bulk_create(
            [CustomUser(username=f"hook{stamp}{tag}{i}", display_name=f"Hook {stamp}{tag}{i}") for i in range(n)]
        )
        UserProfile.objects.bulk_create([UserProfile(user=u) for u in users])
        return users

    print(f"measured {c.MEASURED}; nproc {os.cpu_count()}; database {DB}; receiver {receiver.url}")
    print(f"{args.workers} worker process(es) x concurrency {args.concurrency}; {THREADS} award threads")

    # --- the statement with and without the event CTEs ---
    if args.ab_rounds:
        ab = statement_ab(activity, fresh_players(2000, "ab"), args.ab_rounds, args.ab_seconds)
        med = {k: c.median(v) for k, v in ab.items()}
        print(
            "statement A/B (16 threads, 2,000 players, 15 XP per award, rounds interleaved): "
            + "; ".join(f"{k} {' / '.join(f'{x:.0f}' for x in v)} tx/s (median {med[k]:.0f})" for k, v in ab.items())
            + f"; with/without = {med['with events'] / med['without events']:.3f}"
        )

    if args.only_ab:
        return

    commits: dict[int, float] = {}
    # --- live ---
    if not args.skip_live:
        plan = award_plan(fresh_players(args.players, "l"), args.awards)
        workers = start_workers(env, args.workers, args.concurrency)
        time.sleep(3)  # workers up (imports, connections)
        start = time.monotonic()
        wall = run_awards(plan, activity, commits, args.rate)
        expected = DomainEvent.objects.filter(type__in=["level_up", "layer_up"]).count()
        end = wait_delivered(receiver, expected, args.timeout)
        stop_workers(workers)
        got = receiver.delivered()
        level_ups = DomainEvent.objects.filter(type="level_up").count()
        with receiver.lock:
            latencies = sorted(
                receiver.first_at[m] - commits[receiver.entry_of[m]]
                for m in receiver.first_at
                if receiver.entry_of[m] in commits
            )
        print(
            f"live: {args.awards} awards in {wall:.1f} s ({args.awards / wall:.0f} awards/s while delivering); "
            f"{expected} events ({level_ups} level_up); delivered {got} in {end - start:.1f} s "
            f"-> {got / (end - start):.0f} events/s; commit -> 200: p50 {1000 * c.pct(latencies, 0.5):.0f} ms, "
            f"p99 {1000 * c.pct(latencies, 0.99):.0f} ms, max {1000 * latencies[-1]:.0f} ms"
        )

    # --- backlog ---
    if args.backlog:  # --backlog 0: the live phase only
        before = receiver.delivered()
        plan = award_plan(fresh_players(max(args.backlog // 10, 1), "b"), args.backlog)
        run_awards(plan, activity, commits)
        expected = DomainEvent.objects.filter(type__in=["level_up", "layer_up"]).count()
        workers = start_workers(env, args.workers, args.concurrency)
        t = time.monotonic()
        while receiver.delivered() == before and time.monotonic() - t < 60:
            time.sleep(0.01)
        first = time.monotonic()
        end = wait_delivered(receiver, expected, args.timeout)
        stop_workers(workers)
        drained = receiver.delivered() - before
        print(
            f"backlog: {drained} events drained in {end - first:.1f} s after the first delivery "
            f"-> {drained / (end - first):.0f} events/s ({end - t:.1f} s including worker start)"
        )

    # --- checks ---
    twice = sum(1 for ids in receiver.ids_per_event.values() if len(ids) > 1)
    expected = DomainEvent.objects.filter(type__in=["level_up", "layer_up"]).count()
    missing = expected - receiver.delivered()
    print(
        f"checks: {receiver.delivered()} of {expected} events delivered, {receiver.requests} requests, "
        f"{receiver.bad} bad signatures, {twice} events under two ids, missing {missing}, "
        f"{receiver.out_of_order} received before an earlier event of the same player"
    )
    receiver.server.shutdown()
    if missing or twice or receiver.bad or receiver.out_of_order:
        sys.exit(1)


if __name__ == "__main__":
    main()
