"""Links to a player's card for messages outside the site (Discord /rank and /profile)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.urls import reverse

from core.selectors.showcase.showcase import facts_from_summary
from showcase.card import RENDER_VERSION
from users.models import CustomUser


def card_link(user: CustomUser, summary: dict[str, Any], *, mode: str, lang: str) -> str | None:
    """The card's public URL (``PUBLIC_BASE_URL``), with a version that changes with what the card
    shows (Discord keeps images by URL); None without PUBLIC_BASE_URL or for a player not shown."""
    if not settings.PUBLIC_BASE_URL or not user.public or not user.is_active or user.erased_at is not None:
        return None
    version = hashlib.sha256(f"{RENDER_VERSION}|{facts_from_summary(summary, mode).fingerprint()}".encode())
    path = reverse("user-card", args=[user.pk])
    return f"{settings.PUBLIC_BASE_URL}{path}?mode={mode}&lang={lang}&v={version.hexdigest()[:12]}"


def with_card(
    message: dict[str, Any], user: CustomUser, summary: dict[str, Any], *, mode: str, lang: str
) -> dict[str, Any]:
    """``message`` with the card as its first embed's image, when there is a card to show."""
    link = card_link(user, summary, mode=mode, lang=lang)
    if link is not None and message.get("embeds"):
        message["embeds"][0]["image"] = {"url": link}
    return message
