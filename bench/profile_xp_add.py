"""In-process CPU profile of POST /api/v1/xp/add/ (the WSGI application called directly, so
gunicorn and wrk are out of the picture and the machine's other load matters less).

    .venv/bin/python bench/profile_xp_add.py --commit HEAD              # CPU ms/request, queries, Redis calls
    .venv/bin/python bench/profile_xp_add.py --commit HEAD --cprofile   # + top functions
    .venv/bin/python bench/profile_xp_add.py --commit HEAD --experiments

Uses the ``igo_bench`` database set up by bench/xp_add.py (run that first). ``--experiments``
measures, in this process only and without touching any file, what each candidate change would
save: every variant is applied by monkeypatching, alternated with the baseline over several
rounds, and the median CPU per request is reported. These are measurements for proposals, not
changes to the code.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from wsgiref.util import setup_testing_defaults

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common as c  # noqa: E402
import xp_add  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1500)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cprofile", action="store_true")
    ap.add_argument("--experiments", action="store_true")
    ap.add_argument("--commit", default=None)
    args = ap.parse_args()

    c.use_commit(args.commit)
    env = c.server_env(xp_add.DB, xp_add.REDIS)
    c.ensure_database(xp_add.DB)
    c.migrate(env)
    c.setup_django(env)
    import tempfile

    from django.db import connection

    setup = xp_add.prepare(400, Path(tempfile.mkdtemp(prefix="igo-prof-")))
    players = [line.split() for line in Path(str(setup["many"])).read_text().splitlines()]
    from ultrabackend.lean_handler import application

    app = application()  # what ultrabackend.wsgi serves
    body = xp_add.BODY.encode()
    statuses: dict[str, int] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        statuses[status[:3]] = statuses.get(status[:3], 0) + 1

    def request(i: int) -> None:
        session, csrf = players[i % len(players)]
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/xp/add/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8765",
            "HTTP_HOST": "127.0.0.1:8765",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_COOKIE": f"sessionid={session}; csrftoken={csrf}",
            "HTTP_X_CSRFTOKEN": csrf,
            "wsgi.input": io.BytesIO(body),
            "REMOTE_ADDR": "127.0.0.1",
        }
        setup_testing_defaults(environ)  # protocol, wsgi.*
        resp = app(environ, start_response)
        b"".join(resp)
        resp.close()

    def cpu_per_request(n: int) -> float:
        t0 = time.process_time()
        for i in range(n):
            request(i)
        return (time.process_time() - t0) * 1000 / n

    for i in range(200):  # warm-up: imports, connections, prepared statements
        request(i)

    # round trips per request
    queries: list[str] = []

    def count_queries(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        queries.append(
            sql.split()[0]
            + " "
            + (
                sql.split("FROM")[1].split()[0]
                if " FROM " in sql[:400] and not sql.lstrip().startswith("WITH")
                else "(award CTE)"
                if sql.lstrip().startswith("WITH")
                else ""
            )
        )
        return execute(sql, params, many, context)

    import redis as redis_lib

    redis_calls: list[str] = []
    orig_exec = redis_lib.Redis.execute_command
    orig_pipe = redis_lib.client.Pipeline.execute

    def exec_cmd(self, *a, **k):  # type: ignore[no-untyped-def]
        redis_calls.append(str(a[0]))
        return orig_exec(self, *a, **k)

    def pipe_exec(self, *a, **k):  # type: ignore[no-untyped-def]
        redis_calls.append("PIPELINE[" + ",".join(str(cmd[0][0]) for cmd in self.command_stack) + "]")
        return orig_pipe(self, *a, **k)

    redis_lib.Redis.execute_command = exec_cmd  # type: ignore[method-assign]
    redis_lib.client.Pipeline.execute = pipe_exec  # type: ignore[method-assign]
    with connection.execute_wrapper(count_queries):
        request(7)
    redis_lib.Redis.execute_command = orig_exec  # type: ignore[method-assign]
    redis_lib.client.Pipeline.execute = orig_pipe  # type: ignore[method-assign]
    print(f"measured {c.MEASURED}")
    print(f"one request: {len(queries)} SQL round trips {queries}")
    print(f"             {len(redis_calls)} Redis round trips {redis_calls}")

    base = [cpu_per_request(args.requests) for _ in range(args.rounds)]
    print(
        f"in-process app CPU per request (WSGI app, no gunicorn): median {c.median(base):.2f} ms "
        f"(rounds: {', '.join(f'{x:.2f}' for x in base)}); statuses {statuses}"
    )

    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        for i in range(args.requests):
            request(i)
        prof.disable()
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(45)
        print(s.getvalue())

    if args.experiments:
        run_experiments(cpu_per_request, args)


def run_experiments(cpu_per_request: Callable[[int], float], args: argparse.Namespace) -> None:
    """Each candidate change as a monkeypatch, alternated with the baseline."""
    import functools

    from django.core.cache.backends import redis as django_redis

    from api.v1.xp import views as xp_views
    from core.services.seasons import rank_index as season_service
    from core.services.xp import award as xp_service
    from ultrabackend import redis as r

    # 1. the activity row cached per process (a real change would need invalidation on admin edits)
    cached_get_activity = functools.lru_cache(maxsize=256)(xp_service.get_activity)

    # 2. no RankIndexRepair query per request (a real change: a Redis flag set with the repair row)
    def no_repair(season_id: str) -> set[str]:
        return set()

    # 3. Django's RedisCacheClient builds a new redis.Redis object on every cache call
    orig_get_client = django_redis.RedisCacheClient.get_client
    clients: dict[int, object] = {}

    def reuse_client(self, key=None, *, write=False):  # type: ignore[no-untyped-def]
        index = self._get_connection_pool_index(write)
        if index not in clients:
            clients[index] = orig_get_client(self, key, write=write)
        return clients[index]

    # 4. the entry as a plain dict instead of a ModelSerializer instance (fields built per call)
    class PlainEntry:
        def __init__(self, entry):  # type: ignore[no-untyped-def]
            created = entry.created_at.isoformat()
            if created.endswith("+00:00"):
                created = created[:-6] + "Z"
            self.data = {
                "id": entry.id,
                "activity": entry.activity.key,
                "mode": entry.mode,
                "units": f"{entry.units:.2f}",
                "xp": entry.xp,
                "created_at": created,
            }

    # 5. the after-commit index write without the SCRIPT EXISTS round trip of a pipelined Script
    orig_index_scores = season_service.index_scores

    def index_scores_evalsha(states):  # type: ignore[no-untyped-def]
        client = r.get_redis()
        if client is None:
            return
        sha = getattr(index_scores_evalsha, "sha", None) or client.script_load(season_service._UPSERT_LUA)
        index_scores_evalsha.sha = sha  # type: ignore[attr-defined]
        states = list(states)
        if len(states) == 1:
            keys, argv = season_service._upsert_args(states[0])
            client.evalsha(sha, len(keys), *keys, *argv)
        else:
            orig_index_scores(states)

    experiments: list[tuple[str, Callable[[], None], Callable[[], None]]] = [
        (
            "cache ActivityType per process",
            lambda: setattr(xp_service, "get_activity", cached_get_activity),
            lambda: setattr(xp_service, "get_activity", cached_get_activity.__wrapped__),
        ),
        (
            "no RankIndexRepair SELECT per request",
            lambda: setattr(season_service, "boards_needing_repair", no_repair),
            lambda: setattr(season_service, "boards_needing_repair", _orig_repair),
        ),
        (
            "reuse the Redis client in Django's cache",
            lambda: setattr(django_redis.RedisCacheClient, "get_client", reuse_client),
            lambda: setattr(django_redis.RedisCacheClient, "get_client", orig_get_client),
        ),
        (
            "entry as a plain dict (no ModelSerializer)",
            lambda: setattr(xp_views, "EntrySerializer", PlainEntry),
            lambda: setattr(xp_views, "EntrySerializer", _orig_entry),
        ),
        (
            "index write by EVALSHA (no SCRIPT EXISTS)",
            lambda: setattr(season_service, "index_scores", index_scores_evalsha),
            lambda: setattr(season_service, "index_scores", orig_index_scores),
        ),
    ]
    _orig_repair = season_service.boards_needing_repair
    _orig_entry = xp_views.EntrySerializer
    n = max(300, args.requests // 3)
    print(f"\nexperiments (in-process, {n} requests x {args.rounds} alternated rounds; median app CPU ms/request):")
    print("| change (monkeypatched, not committed) | baseline | with change | saved |")
    print("|---|---|---|---|")
    for name, on, off in [
        *experiments,
        ("all of the above", lambda: [e[1]() for e in experiments], lambda: [e[2]() for e in experiments]),
    ]:
        b, w = [], []
        for _ in range(args.rounds):
            b.append(cpu_per_request(n))
            on()
            w.append(cpu_per_request(n))
            off()
        mb, mw = c.median(b), c.median(w)
        print(f"| {name} | {mb:.2f} | {mw:.2f} | {mb - mw:.2f} ms ({100 * (mb - mw) / mb:.0f} %) |", flush=True)


if __name__ == "__main__":
    main()
