"""Avatars for rank cards, from Discord's CDN only.

The stored ``avatar_url`` is never fetched as given: it is read for the avatar hash of the
player's own Discord id, and the CDN path is rebuilt from those two values
(``/avatars/<discord id>/<hash>.png``; Discord's default avatar for the id otherwise). Players
without a Discord id get the drawn fallback. Answers (and failures, for a shorter time) are kept
in process memory, so a slow or down CDN costs one timeout per avatar per minute, not one per card.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import time

from PIL import Image, UnidentifiedImageError

from core.clients import discord as discord_api
from showcase.card import AVATAR_SIZE

logger = logging.getLogger(__name__)

_STORED = re.compile(
    r"https://cdn\.discordapp\.com/avatars/(?P<id>[0-9]{17,20})/(?P<hash>(?:a_)?[0-9a-f]{32})\.(?:png|gif|webp)"
)
_SNOWFLAKE = re.compile(r"[0-9]{17,20}")
KEEP_SECONDS, KEEP_FAILURE_SECONDS, KEPT_MAX = 600.0, 60.0, 1024

_kept: dict[str, tuple[float, Image.Image | None]] = {}
_lock = threading.Lock()


def cdn_path(discord_id: str | None, avatar_url: str | None) -> str | None:
    """The CDN path of the player's avatar, from their Discord id and stored hash alone."""
    if not discord_id or not _SNOWFLAKE.fullmatch(discord_id):
        return None
    stored = _STORED.fullmatch(avatar_url or "")
    if stored and stored["id"] == discord_id:
        return f"/avatars/{discord_id}/{stored['hash']}.png?size=256"
    return f"/embed/avatars/{(int(discord_id) >> 22) % 6}.png"


def avatar_for(discord_id: str | None, avatar_url: str | None) -> Image.Image | None:
    """The avatar scaled to the card's circle, or None (the card draws its fallback)."""
    path = cdn_path(discord_id, avatar_url)
    if path is None:
        return None
    now = time.monotonic()
    with _lock:
        kept = _kept.get(path)
    if kept is not None and kept[0] > now:
        return kept[1]
    image: Image.Image | None
    try:
        raw = discord_api.cdn_image(path)
        with Image.open(io.BytesIO(raw)) as opened:
            opened.draft("RGB", (AVATAR_SIZE, AVATAR_SIZE))
            image = opened.convert("RGB").resize((AVATAR_SIZE, AVATAR_SIZE), Image.Resampling.LANCZOS)
        keep = KEEP_SECONDS
    except (discord_api.DiscordError, UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        logger.warning("avatar unavailable, drawing the fallback: %s", exc.__class__.__name__)
        image, keep = None, KEEP_FAILURE_SECONDS
    with _lock:
        if len(_kept) >= KEPT_MAX:
            _kept.clear()
        _kept[path] = (now + keep, image)
    return image


def forget_all() -> None:
    """Drop every kept avatar (tests)."""
    with _lock:
        _kept.clear()
