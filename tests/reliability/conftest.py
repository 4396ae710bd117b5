"""The fault suite's server: gunicorn (2 sync workers, production settings) on the pytest-django
test database and the test Redis, each reached through a FaultProxy the test can cut, freeze
and restore; a stand-in Discord over HTTPS (production settings refuse plain HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from tests.auth.conftest import CLIENT_ID, CLIENT_SECRET, FakeDiscord
from tests.reliability import harness
from xp.models import UserProfile, XPEntry


@dataclass
class Faults:
    server: harness.Server
    postgres: harness.FaultProxy
    redis: harness.FaultProxy
    discord: FakeDiscord
    cert: Path  # the stand-in Discord's certificate

    def get(self, path: str, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        return harness.request(self.server.url, "GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, dict[str, str], Any]:
        return harness.request(self.server.url, "POST", path, body=body, **kwargs)


@pytest.fixture
def faults(redis_server: Any, transactional_db: None, tmp_path: Path) -> Iterator[Faults]:
    db = connection.settings_dict  # the pytest-django test database (its name has test_ / _gwN)
    pg_proxy = harness.FaultProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    redis_url = urlsplit(settings.REDIS_URL)
    redis_proxy = harness.FaultProxy((redis_url.hostname or "127.0.0.1", redis_url.port or 6379))
    cert, key = harness.self_signed_certificate(tmp_path)
    discord = FakeDiscord()
    harness.serve_https(discord.server, cert, key)
    discord.url = discord.url.replace("http://", "https://")
    discord.thread.start()
    user = f"{db['USER']}@" if db.get("USER") else ""
    server = harness.start_server(
        database_url=f"postgres://{user}127.0.0.1:{pg_proxy.port}/{db['NAME']}",
        redis_url=f"redis://127.0.0.1:{redis_proxy.port}{redis_url.path or '/0'}",
        # the test process's prefix: the redis_server fixture empties it afterwards
        key_prefix=settings.CACHES["default"]["KEY_PREFIX"],
        extra_env={
            "DISCORD_API_URL": discord.url,
            "DISCORD_CLIENT_ID": CLIENT_ID,
            "DISCORD_CLIENT_SECRET": CLIENT_SECRET,
            "REQUESTS_CA_BUNDLE": str(cert),
        },
    )
    try:
        yield Faults(server, pg_proxy, redis_proxy, discord, cert)
    finally:
        server.stop()
        pg_proxy.close()
        redis_proxy.close()
        discord.server.shutdown()
        discord.server.server_close()


def assert_totals_equal_ledger() -> int:
    """Every profile's total is exactly the sum of its ledger; returns the entries counted."""
    sums = dict(XPEntry.objects.values("user_id").annotate(total=Sum("xp")).values_list("user_id", "total"))
    totals = dict(UserProfile.objects.values_list("user_id", "total_xp"))
    assert {uid: totals.get(uid) for uid in sums} == sums
    assert all(total == 0 for uid, total in totals.items() if uid not in sums)
    return XPEntry.objects.count()
