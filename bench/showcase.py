"""Rank cards and community pages at 1,000,000 players. Run bench/generate_players.py first.

    .venv/bin/python bench/showcase.py                 # 2 rounds, 5 s per phase
    .venv/bin/python bench/showcase.py --renders 2000  # more in-process card renders

1. Card rendering in-process (``showcase.card.render_card``, the PNG bytes, nothing else):
   p50/p99 over ``--renders`` cards with different facts, both themes, with an avatar image and
   with the drawn fallback. Goal: p99 well under 50 ms.
2. Over HTTP: gunicorn (production settings, Redis rank index) and wrk with one connection:
   GET /community/ (both boards' top 50 and events), a name search, a player page, the card
   endpoint (render every time: no If-None-Match) and its 304, against GET /api/v1/health/.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402

DB = os.environ.get("BENCH_DB_1M", "igo_bench_1m")
REDIS = os.environ.get("BENCH_REDIS_1M", "redis://127.0.0.1:6379/6")


def render_benchmark(renders: int) -> None:
    from PIL import Image

    from core.selectors.showcase.showcase import CardFacts
    from showcase.card import render_card

    rng = random.Random(1)
    avatar = Image.new("RGB", (180, 180), (200, 40, 40))
    times: dict[str, list[float]] = {"avatar": [], "fallback": []}
    cpu: dict[str, list[float]] = {"avatar": [], "fallback": []}
    sizes: list[int] = []
    for i in range(renders):
        facts = CardFacts(
            user_id=i + 1,
            display_name=rng.choice(["Ada", "Bob Runner", "Ü-Läufer Straße", "A very long display name indeed x"]),
            discord_id=None,
            avatar_url=None,
            mode=rng.choice(["reality", "cyber"]),
            level=rng.randint(1, 60),
            xp_into_level=rng.randint(0, 5000),
            xp_for_next_level=rng.randint(1, 5000),
            progress=rng.random(),
            total_xp=rng.randint(0, 10**7),
            mode_xp=rng.randint(0, 10**7),
            season_id="2026-12",
            season_xp=rng.randint(0, 10**5),
            season_rank=rng.choice([None, rng.randint(1, 1_000_000)]),
            league=rng.choice(["bronze", "silver", "gold", "platinum", "diamond", "ultra"]),
            layer_code="RL3",
            layer_name="Trailblazer",
        )
        kind = "avatar" if i % 2 else "fallback"
        t0, c0 = time.perf_counter(), time.process_time()
        png = render_card(
            facts, theme=rng.choice(["dark", "light"]), lang=rng.choice(["en", "de"]), avatar=avatar if i % 2 else None
        )
        times[kind].append((time.perf_counter() - t0) * 1000)
        cpu[kind].append((time.process_time() - c0) * 1000)
        sizes.append(len(png))
    print(f"\ncard rendering in-process, {renders} cards (ms; wall clock, and CPU time of this process,")
    print("which a busy machine does not inflate):")
    print("| avatar | clock | p50 | p90 | p99 | max |")
    print("|---|---|---|---|---|---|")
    for clock, table in (("wall", times), ("CPU", cpu)):
        for kind, values in table.items():
            values.sort()
            print(
                f"| {kind} | {clock} | {c.pct(values, 0.5):.1f} | {c.pct(values, 0.9):.1f} | "
                f"{c.pct(values, 0.99):.1f} | {values[-1]:.1f} |"
            )
    print(f"PNG size: median {sorted(sizes)[len(sizes) // 2]:,} bytes")
    Image.open(io.BytesIO(png)).verify()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=5, help="seconds per phase")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--renders", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--port", type=int, default=c.PORT + 3)
    ap.add_argument("--render-only", action="store_true", help="only the in-process rendering")
    args = ap.parse_args()

    c.require_wrk()
    env = c.server_env(DB, REDIS)
    c.migrate(env)
    c.setup_django(env)
    from core.selectors.seasons import rank_keys
    from core.utils.dates import season_id_for, utc_now
    from seasons.models import SeasonScore
    from ultrabackend import redis as r

    sid = season_id_for(utc_now())
    client = r.get_redis()
    if not client.exists(rank_keys.ready_key(sid, "reality")):  # type: ignore[union-attr]
        sys.exit(f"the rank index of {sid} is not built in {REDIS}: run bench/generate_players.py first")
    size = SeasonScore.objects.filter(season_id=sid, mode="reality", xp__gt=0).count()
    top = SeasonScore.objects.filter(season_id=sid, mode="reality").order_by("-xp").values_list("user_id", flat=True)[0]
    print(f"measured {c.MEASURED}; nproc {os.cpu_count()}; {size:,} players on the {sid} reality board")

    render_benchmark(args.renders)
    if args.render_only:
        return

    from django.db import connection

    connection.close()
    phases = [
        ("trivial", "/api/v1/health/"),
        ("community page", "/community/"),
        ("name search", "/community/?q=p00012"),
        ("player page", f"/community/players/{top}/"),
        ("card (rendered)", f"/api/v1/users/{top}/card.png?mode=reality"),
    ]
    results: dict[str, list[dict[str, object]]] = {}
    with c.Server(env, workers=args.workers, port=args.port) as srv:
        base = f"http://{c.HOST}:{srv.port}"
        with urllib.request.urlopen(f"{base}/api/v1/users/{top}/card.png", timeout=30) as answer:
            etag = answer.headers["ETag"]
            assert answer.headers["Content-Type"] == "image/png" and answer.read().startswith(b"\x89PNG")
        script = Path(f"/tmp/showcase_304_{os.getpid()}.lua")
        script.write_text(f"wrk.headers[\"If-None-Match\"] = '{etag}'\n")
        phases.append(("card 304", f"/api/v1/users/{top}/card.png?mode=reality"))
        for _, path in phases:  # warm-up
            c.run_wrk(base + path, None, 1, 2, threads=1)
        for rnd in range(1, args.rounds + 1):
            line = []
            for name, path in phases:
                res = c.run_wrk(base + path, str(script) if name == "card 304" else None, args.duration, 1, threads=1)
                results.setdefault(name, []).append({k: v for k, v in res.items() if k != "raw"})
                bad = int(res["non2xx3xx"])  # type: ignore[arg-type]
                line.append(f"{name} {res['p50']:.1f}/{res['p99']:.1f} ms" + (f" NON-2XX {bad}" if bad else ""))
            print(f"round {rnd}: " + " | ".join(line), flush=True)
        script.unlink()
    print(f"\nmedians over {args.rounds} rounds, wrk -c1, gunicorn {args.workers} sync workers (ms):")
    print("| answer | p50 | p99 | req/s |")
    print("|---|---|---|---|")
    for name, rs in results.items():
        med = {k: c.median([float(x[k]) for x in rs]) for k in ("p50", "p99", "rps")}  # type: ignore[arg-type]
        print(f"| {name} | {med['p50']:.1f} | {med['p99']:.1f} | {med['rps']:.0f} |")


if __name__ == "__main__":
    main()
