"""xp/add with 20 achievements and an active boost vs. without, interleaved (issue 26).

In-process WSGI (Django's test client over the real middleware and the lean xp/add path), one
thread, PostgreSQL and Redis as configured: it measures what the feature adds to a request's
own work (Python and the statement), not a server's throughput. Phases alternate A, B, A, B ...
so drift of a shared machine falls on both; medians over rounds are reported.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/igo_bench_ach REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/achievements_ab.py --rounds 4 --duration 8

Phase A: no active achievement, no boost. Phase B: 20 active achievements (the 15 defaults and
5 more, thresholds far away so none unlocks during the run) and a running boost x1.25 on every
activity. Its own database (dropped and migrated again) and Redis DB: never point it at data you
care about.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ultrabackend.settings.test")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--duration", type=float, default=8.0)
    ap.add_argument("--players", type=int, default=200)
    args = ap.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("flush", interactive=False, verbosity=0) if _tables_exist(connection) else None
    call_command("migrate", verbosity=0)
    import importlib

    from achievements.models import Achievement, XPBoost
    from core.selectors.achievements import achievement_catalogue
    from core.utils.dates import utc_now
    from users.models import CustomUser

    for name in (
        "xp.migrations.0002_default_catalogue_and_levels",
        "xp.migrations.0006_system_activities",
        "achievements.migrations.0002_default_achievements",
    ):
        from django.apps import apps

        importlib.import_module(name).install(apps, None)
    for n in range(20 - Achievement.objects.count()):
        Achievement.objects.get_or_create(
            key=f"bench_{n}", defaults={"name_en": f"Bench {n}", "kind": "total_xp", "bronze": Decimal(10**11 + n)}
        )
    # Far thresholds: nothing unlocks during the run (an unlock is a rare event, not the steady state).
    Achievement.objects.update(bronze=Decimal(10**11), silver=None, gold=None)
    players = []
    for i in range(args.players):
        user, _ = CustomUser.objects.get_or_create(username=f"bench_ach_{i}")
        players.append(user)
    clients = []
    for user in players:
        client = Client(enforce_csrf_checks=False)
        client.force_login(user)
        clients.append(client)

    def phase_a() -> None:
        Achievement.objects.update(is_active=False)
        XPBoost.objects.all().delete()
        achievement_catalogue.forget_catalogue()

    def phase_b() -> None:
        Achievement.objects.update(is_active=True)
        now = utc_now()
        XPBoost.objects.create(
            name="bench", multiplier=Decimal("1.25"), starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
        )
        achievement_catalogue.forget_catalogue()

    def run(seconds: float) -> float:
        done, i = 0, 0
        end = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < end:
            response = clients[i % len(clients)].post(
                "/api/v1/xp/add/", '{"activity": "pushups", "units": 1}', content_type="application/json"
            )
            assert response.status_code == 201, response.content
            done += 1
            i += 1
        return done / (time.perf_counter() - start)

    phase_b()
    # Warm up: every player's first award of the day (the streak step, first_steps) is done
    # here, so the phases measure the steady state; sessions remembered, catalogues loaded.
    for client in clients:
        client.post("/api/v1/xp/add/", '{"activity": "pushups", "units": 1}', content_type="application/json")
    run(2.0)
    rates: dict[str, list[float]] = {"A": [], "B": []}
    for r in range(args.rounds):
        for label, setup in (("A", phase_a), ("B", phase_b)) if r % 2 == 0 else (("B", phase_b), ("A", phase_a)):
            setup()
            run(0.5)
            rates[label].append(run(args.duration))
            print(f"round {r + 1} {label}: {rates[label][-1]:.0f} req/s", flush=True)
    a, b = statistics.median(rates["A"]), statistics.median(rates["B"])
    print(f"median A (no achievements, no boost): {a:.0f} req/s; B (20 achievements + boost): {b:.0f} req/s")
    print(f"B/A = {b / a:.3f}")


def _tables_exist(connection) -> bool:  # type: ignore[no-untyped-def]
    return "achievements_achievement" in connection.introspection.table_names()


if __name__ == "__main__":
    main()
