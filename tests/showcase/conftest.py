"""Fixtures for cards and community pages: a stand-in Discord CDN and players with XP this season."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from core.services.xp import award as xp_award
from showcase import avatars
from tests.seasons.helpers import activity
from users.tests.factories import PlayerFactory

ADA_DISCORD = "175928847299117063"
ADA_HASH = "a" * 32


def png(color: tuple[int, int, int], size: int = 256) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), color).save(out, format="PNG")
    return out.getvalue()


class FakeCDN:
    """Discord's CDN: serves a PNG for any /avatars/ or /embed/avatars/ path, records every
    request, and can be told to fail (``status``) or to answer slowly (``delay``)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.status = 200
        self.delay = 0.0
        self.body = png((200, 40, 40))
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                fake.requests.append(self.path)
                if fake.delay:
                    time.sleep(fake.delay)
                ok = fake.status == 200 and self.path.startswith(("/avatars/", "/embed/avatars/"))
                body = fake.body if ok else b'{"message": "404: Not Found"}'
                self.send_response(fake.status if fake.status != 200 else (200 if ok else 404))
                self.send_header("Content-Type", "image/png" if ok else "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def cdn(settings: Any) -> Iterator[FakeCDN]:
    fake = FakeCDN()
    fake.thread.start()
    settings.DISCORD_CDN_URL = fake.url
    settings.DISCORD_CDN_TIMEOUT_SECONDS = 0.5
    avatars.forget_all()
    yield fake
    avatars.forget_all()
    fake.server.shutdown()
    fake.server.server_close()


def give(user: Any, xp: int, mode: str = "reality") -> None:
    """``xp`` on this season's board through the one award service."""
    xp_award.award_xp(user=user, activity=activity(mode), units=Decimal(xp), source="import")


@pytest.fixture
def community(db: None, cdn: FakeCDN) -> dict[str, Any]:
    """Four players this season: ada (Discord avatar) 300, bob 200, cyd (hidden) 250, dee 100
    reality; bob also 50 cyber."""
    ada = PlayerFactory(
        username="ada",
        display_name="Ada Lovelace",
        discord_id=ADA_DISCORD,
        avatar_url=f"https://cdn.discordapp.com/avatars/{ADA_DISCORD}/{ADA_HASH}.png",
    )
    bob = PlayerFactory(username="bob", display_name="Bob Runner")
    cyd = PlayerFactory(username="cyd", display_name="Cyd Hidden")
    dee = PlayerFactory(username="dee", display_name="Dee Walker")
    give(ada, 300)
    give(bob, 200)
    give(cyd, 250)
    give(dee, 100)
    give(bob, 50, "cyber")
    cyd.public = False
    cyd.save(update_fields=["public"])
    return {"ada": ada, "bob": bob, "cyd": cyd, "dee": dee}
