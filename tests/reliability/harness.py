"""What the fault suite and bench/faults.py share: TCP proxies that can be cut, frozen and
restored, a gunicorn server under production settings behind them, HTTPS for the stand-in
Discord, and a small load generator. Loopback only; every loop is bounded in time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import ipaddress
import json
import os
import secrets
import select
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


class FaultProxy:
    """A TCP proxy on 127.0.0.1 in front of ``target``.

    - ``restore()``: forward everything (the initial state);
    - ``cut()``: close every open connection and refuse new ones (nothing listens: connection
      refused), like a server that went down;
    - ``freeze()``: accept connections but forward nothing in either direction, like a hung
      server or a stuck failover (clients wait until their own timeouts).
    """

    def __init__(self, target: tuple[str, int], *, port: int = 0) -> None:
        self.target = target
        self.state = "open"
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stop = False
        self._listen(port)
        self.port = self._listener.getsockname()[1]  # type: ignore[union-attr]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    # --- control ---------------------------------------------------------------------------

    def cut(self) -> None:
        with self._lock:
            self.state = "cut"
            if self._listener is not None:
                # shutdown() stops listening at once (and wakes the accept loop); close() alone
                # waits for the blocked accept to return.
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for conn in list(self._conns):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._conns.clear()

    def freeze(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listen(self.port)
            self.state = "frozen"

    def restore(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listen(self.port)
            self.state = "open"

    def close(self) -> None:
        self._stop = True
        self.cut()

    # --- plumbing --------------------------------------------------------------------------

    def _listen(self, port: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(50):  # the old listener may take a moment to go away
            try:
                sock.bind((HOST, port))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.02)
        sock.listen(128)
        sock.settimeout(0.1)
        self._listener = sock

    def _accept_loop(self) -> None:
        while not self._stop:
            listener = self._listener
            if listener is None:
                time.sleep(0.02)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        host, port = self.target
        if host.startswith("/"):  # a Unix socket directory (the embedded PostgreSQL listens only there)
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.settimeout(2)
            upstream.connect(f"{host}/.s.PGSQL.{port}")
            return upstream
        return socket.create_connection(self.target, timeout=2)

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = self._connect_upstream()
        except OSError:
            client.close()
            return
        with self._lock:
            if self.state == "cut":
                client.close()
                upstream.close()
                return
            self._conns.update({client, upstream})
        pair = {client: upstream, upstream: client}
        try:
            while not self._stop:
                if self.state == "frozen":
                    time.sleep(0.02)  # hold the bytes: nothing moves until restore()
                    continue
                if client not in self._conns:
                    return  # cut
                readable, _, _ = select.select(list(pair), [], [], 0.05)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    pair[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self._conns.discard(client)
                self._conns.discard(upstream)
            client.close()
            upstream.close()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (the stand-in Discord speaks HTTPS, as production requires)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "discord.pem", directory / "discord.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def serve_https(server: Any, cert: Path, key: Path) -> None:
    """Wrap an http.server instance's listening socket in TLS (before it serves)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """gunicorn (2 sync workers, production settings) on 127.0.0.1."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def start_server(
    *, database_url: str, redis_url: str, key_prefix: str, extra_env: dict[str, str], workers: int = 2
) -> Server:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        DJANGO_SETTINGS_MODULE="ultrabackend.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX=key_prefix,
        SECURE_SSL_REDIRECT="False",
        ALLOWED_HOSTS=f"{HOST},localhost",
        FRONTEND_URL="https://app.example.test",
        # production-like Redis timeouts and breaker (the defaults, written out)
        REDIS_CONNECT_TIMEOUT="0.05",
        REDIS_SOCKET_TIMEOUT="0.05",
        REDIS_BREAKER_RESET_SECONDS="2",
        DB_CONNECT_TIMEOUT="2",
        DB_QUERY_TIMEOUT="2",
        # the load is many requests from one key: limits must not be what answers
        THROTTLE_KEY_WRITE="1000000/min",
        THROTTLE_KEY_READ="1000000/min",
        THROTTLE_AUTH="1000000/min",
        LOG_LEVEL="ERROR",
    )
    env.update(extra_env)
    log = Path(tempfile.mkstemp(prefix="igo-faults-gunicorn-", suffix=".log")[1])
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "ultrabackend.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    server = Server(port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log_tail()}")
        with contextlib.suppress(OSError):
            status, _, _ = request(server.url, "GET", "/api/v1/health/", timeout=2)
            if status in (200, 503):
                return server
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"gunicorn did not answer:\n{server.log_tail()}")


def request(
    base: str, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None, timeout: float = 10
) -> tuple[int, dict[str, str], Any]:
    """One HTTP request on a fresh connection: (status, headers lower-cased, JSON body or text)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        raw = json.dumps(body).encode() if body is not None else None
        all_headers = {"Content-Type": "application/json", **(headers or {})} if raw else dict(headers or {})
        conn.request(method, path, body=raw, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        response_headers = {k.lower(): v for k, v in response.getheaders()}
        try:
            parsed: Any = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode(errors="replace")
        return response.status, response_headers, parsed
    finally:
        conn.close()


@dataclass
class Sample:
    started: float
    seconds: float
    status: int  # 0: no answer within the client timeout (or the connection failed)
    retry_after: str | None
    code: str | None
    key: str


@dataclass
class Load:
    """Threads sending ``make_request`` in a loop until stopped (bounded by ``max_seconds``)."""

    send: Callable[[str], tuple[int, dict[str, str], Any]]
    threads: int = 4
    max_seconds: float = 120
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Load:
        self._deadline = time.monotonic() + self.max_seconds
        for n in range(self.threads):
            worker = threading.Thread(target=self._run, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)
        return self

    def _run(self, n: int) -> None:
        i = 0
        while not self._stop.is_set() and time.monotonic() < self._deadline:
            key = f"load-{n}-{i}-{secrets.token_hex(4)}"
            i += 1
            started = time.monotonic()
            try:
                status, headers, body = self.send(key)
            except (OSError, http.client.HTTPException):
                status, headers, body = 0, {}, None
            code = body.get("code") if isinstance(body, dict) else None
            self.samples.append(
                Sample(started, time.monotonic() - started, status, headers.get("retry-after"), code, key)
            )

    def stop(self) -> list[Sample]:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)
        return self.samples


def between(samples: list[Sample], start: float, end: float) -> list[Sample]:
    return [s for s in samples if start <= s.started < end]


def p99(samples: list[Sample]) -> float:
    if not samples:
        return 0.0
    if len(samples) < 2:
        return samples[0].seconds
    return statistics.quantiles([s.seconds for s in samples], n=100, method="inclusive")[98]


def summary(name: str, samples: list[Sample]) -> str:
    statuses: dict[int, int] = {}
    for s in samples:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    fivexx = sum(n for status, n in statuses.items() if status >= 500)
    return (
        f"{name}: {len(samples)} requests, 5xx {fivexx} (of which 503 {statuses.get(503, 0)}), "
        f"p99 {p99(samples) * 1000:.0f} ms, statuses {dict(sorted(statuses.items()))}"
    )


@contextlib.contextmanager
def proxied(target: tuple[str, int]) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target)
    try:
        yield proxy
    finally:
        proxy.close()
