"""Shared helpers for the load benchmarks (not part of the test suite; loopback traffic only).

Environment knobs (all optional):
  BENCH_PG       PostgreSQL server URL without database  (default postgres://postgres@127.0.0.1:5432)
  BENCH_REDIS    Redis URL, a dedicated DB number          (default redis://127.0.0.1:6379/5)
  BENCH_PORT     gunicorn port on 127.0.0.1                (default 8765)
  BENCH_WORKERS  gunicorn sync workers                     (default 4, as the Procfile)
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_PORT", "8765"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
HOST = "127.0.0.1"  # never anything else
SRC = ROOT  # the source tree served and migrated (see use_commit)
MEASURED = ""  # what was measured: a commit, or the working tree


def use_commit(ref: str | None) -> str:
    """Serve ``ref`` exported with git archive (the working tree may hold others' half-done
    edits); None serves the working tree as it is. Returns a description for the report."""
    global SRC, MEASURED
    if not ref:
        MEASURED = git_commit()
        return MEASURED
    sha = subprocess.run(["git", "rev-parse", ref], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    dest = Path(tempfile.mkdtemp(prefix=f"igo-src-{sha[:8]}-"))
    archive = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    SRC = dest
    MEASURED = f"{sha[:10]} (git archive of {ref})"
    return MEASURED


def database_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def server_env(db_name: str, redis_url: str | None) -> dict[str, str]:
    """Production settings as deployed, pointed at the bench database (HTTP on loopback)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ultrabackend.settings.production",
        DJANGO_SECRET_KEY="bench-only-secret-key-not-used-anywhere-else-0123456789abcdef",
        JWT_SIGNING_KEY="bench-only-jwt-key-not-used-anywhere-else-9876543210fedcba",
        DJANGO_DEBUG="False",
        SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url(db_name),
        CACHE_KEY_PREFIX="igobench",
        LOG_LEVEL="ERROR",
        # The per-player write throttle still runs on every request (its Redis round trip is
        # measured), with a rate the load cannot reach (per second: DRF keeps one timestamp per request
        # of the window in the cache entry, so a per-minute window would bloat the hot player's).
        THROTTLE_PLAYER_WRITE="100000/s",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def ensure_database(name: str) -> None:
    import psycopg

    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v0"], cwd=SRC, env=env, check=True)
    # as a deployment does (WhiteNoise reads the manifest at start-up)
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=SRC, env=env, check=True)


def setup_django(env: dict[str, str]) -> None:
    """Configure this process with the server's settings (before any Django import)."""
    for key in (
        "DJANGO_SETTINGS_MODULE",
        "DJANGO_SECRET_KEY",
        "JWT_SIGNING_KEY",
        "DJANGO_DEBUG",
        "SECURE_SSL_REDIRECT",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CACHE_KEY_PREFIX",
        "LOG_LEVEL",
        "THROTTLE_PLAYER_WRITE",
    ):
        os.environ[key] = env[key]
    if "REDIS_URL" in env:
        os.environ["REDIS_URL"] = env["REDIS_URL"]
    else:
        os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(SRC))
    import django

    django.setup()


def git_commit() -> str:
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return sha + (" (+ uncommitted changes in the tree)" if dirty else "")
    except OSError:
        return "unknown"


class Server:
    """gunicorn serving the project on 127.0.0.1:PORT; stopped on exit."""

    def __init__(
        self, env: dict[str, str], workers: int = WORKERS, port: int = PORT, extra_args: list[str] | None = None
    ) -> None:
        self.env, self.workers, self.port = env, workers, port
        self.extra_args = extra_args or []  # e.g. a worker class to compare; later flags win
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        cmd = [
            GUNICORN,
            "ultrabackend.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            "--timeout",
            "60",
            *self.extra_args,
        ]
        self.proc = subprocess.Popen(cmd, cwd=SRC, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.port}/api/v1/health/", timeout=2) as resp:
                    if resp.status == 200 and len(self.worker_pids()) >= self.workers:
                        return self
            except OSError:
                pass
            if self.proc.poll() is not None:
                self.proc = None
                raise RuntimeError("gunicorn exited during start-up")
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("gunicorn did not answer within 30 s")

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# --- CPU accounting (what bounds it: app CPU vs database CPU per request) ---------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> tuple[int, float]:
    """(start time, CPU seconds) of a process: the start time tells a reused pid apart."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[19]), (int(fields[11]) + int(fields[12])) / _TICK  # starttime; utime + stime
    except (OSError, IndexError):
        return 0, 0.0


def _pids_named(name: str) -> list[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


class CpuMeter:
    """CPU seconds used by groups of processes between start() and stop()."""

    def __init__(self, groups: dict[str, object]) -> None:
        # a list of pids, a process name (all processes with it), or a function giving pids
        # (asked again at stop: processes started meanwhile count from zero)
        self.groups = groups

    def _pids(self, spec: object) -> list[int]:
        if isinstance(spec, str):
            return _pids_named(spec)
        return list(spec() if callable(spec) else spec)  # type: ignore[call-overload]

    def _sample(self) -> dict[str, dict[tuple[int, int], float]]:
        out: dict[str, dict[tuple[int, int], float]] = {}
        for g, spec in self.groups.items():
            out[g] = {}
            for p in self._pids(spec):
                started, cpu = _cpu_seconds(p)
                if started:
                    out[g][(p, started)] = cpu
        return out

    def start(self) -> None:
        self.t0, self.s0 = time.time(), self._sample()

    def stop(self) -> dict[str, float]:
        s1, elapsed = self._sample(), time.time() - self.t0
        used = {g: sum(v - self.s0[g].get(k, 0.0) for k, v in s1[g].items()) for g in s1}
        used["wall"] = elapsed
        return used


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine, to see what others were doing."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    total = sum(parts[:8])
    return total - idle, total


# --- wrk ------------------------------------------------------------------------------------


def require_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        sys.exit("wrk not found: install it with `apt-get install -y wrk` (Debian package)")
    return path


_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNIT[m.group(2)]


def run_wrk(
    url: str, script: str | None, duration: int, connections: int, threads: int = 2, env: dict[str, str] | None = None
) -> dict[str, object]:
    cmd = [require_wrk(), f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    out = proc.stdout
    res: dict[str, object] = {"raw": out}
    res["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    res["requests"] = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        res[f"p{pct}"] = _ms(m.group(1)) if m else float("nan")
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx3xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1) if m else ""
    m = re.search(r"STATUS (.*)", out)
    res["statuses"] = m.group(1).strip() if m else ""
    return res


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]
