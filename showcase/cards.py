"""A player's rank card as an HTTP answer: facts, avatar, ETag, render (shared by the API's card
endpoint and anything else that serves it)."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation

from core.constants.modes import MODES
from core.exceptions import InvalidFilter, UnknownPlayer
from core.selectors.showcase.showcase import card_facts
from showcase.avatars import avatar_for, cdn_path
from showcase.card import LANGUAGES, RENDER_VERSION, THEMES, render_card
from ultrabackend import redis as r


@dataclass(frozen=True)
class CardOptions:
    mode: str = "reality"
    theme: str = "dark"
    lang: str = "en"

    @classmethod
    def parse(cls, *, mode: str | None, theme: str | None, lang: str | None, default_lang: str) -> CardOptions:
        """The options of a card request; raises InvalidFilter naming the wrong one."""
        mode = mode or "reality"
        theme = theme or "dark"
        lang = lang or (default_lang if default_lang in LANGUAGES else "en")
        if mode not in MODES:
            raise InvalidFilter(field="mode")
        if theme not in THEMES:
            raise InvalidFilter(field="theme")
        if lang not in LANGUAGES:
            raise InvalidFilter(field="lang")
        return cls(mode, theme, lang)


KEEP_RENDERED_SECONDS = 600


def rendered_key(etag: str) -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', 'igo')}:card:{etag.strip(chr(34))}"


@dataclass(frozen=True)
class PreparedCard:
    etag: str
    _render: Callable[[], bytes]

    def png(self) -> bytes:
        """The PNG: from Redis when a card with this ETag was rendered in the last 10 minutes
        (any worker), else rendered now and kept there. Redis away: rendered, nothing kept."""
        client = r.get_redis()
        if client is None:
            return self._render()
        key = rendered_key(self.etag)
        try:
            kept = client.get(key)
        except r.REDIS_ERRORS:
            return self._render()
        if kept:
            return kept if isinstance(kept, bytes) else kept.encode("latin-1")
        png = self._render()
        with contextlib.suppress(*r.REDIS_ERRORS):
            client.set(key, png, ex=KEEP_RENDERED_SECONDS)
        return png


def prepare_card(user_id: int, options: CardOptions) -> PreparedCard:
    """The card's ETag (a hash of everything it shows) and how to render it; raises UnknownPlayer
    for a missing or hidden player. Rendering waits for ``png()``, so a 304 renders nothing."""
    with translation.override(options.lang):  # badge names in the card's language
        facts = card_facts(user_id, options.mode)
    if facts is None:
        raise UnknownPlayer()
    avatar = avatar_for(facts.discord_id, facts.avatar_url)
    seed = "|".join(
        [
            RENDER_VERSION,
            options.theme,
            options.lang,
            facts.fingerprint(),
            cdn_path(facts.discord_id, facts.avatar_url) or "",
            "avatar" if avatar is not None else "fallback",
        ]
    )
    etag = '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'
    return PreparedCard(etag, lambda: render_card(facts, theme=options.theme, lang=options.lang, avatar=avatar))
