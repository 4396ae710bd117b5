"""Secrets at rest (players' Discord tokens): Fernet with keys from FIELD_ENCRYPTION_KEY.

The setting is a list: the first key encrypts, every key decrypts (MultiFernet), so a key is
rotated by putting a new one first, running ``python manage.py discord_rotate_key`` and then
dropping the old one. Importable from settings (no Django models here).
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured


class Undecryptable(Exception):
    """A stored secret that none of the configured keys opens (a key was dropped too early)."""


def check_keys(keys: Sequence[str]) -> MultiFernet:
    """The MultiFernet for ``keys``; raises ImproperlyConfigured when there is none or one is not a
    Fernet key (32 url-safe base64-encoded bytes: ``Fernet.generate_key()``)."""
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY is required for Discord Linked Roles (players' tokens are stored encrypted)."
        )
    try:
        return MultiFernet([Fernet(key.strip().encode()) for key in keys])
    except ValueError:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must hold Fernet keys (comma separated).") from None


def _fernet() -> MultiFernet:
    from django.conf import settings

    return check_keys(settings.FIELD_ENCRYPTION_KEY)


def is_configured() -> bool:
    try:
        _fernet()
    except ImproperlyConfigured:
        return False
    return True


def encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise Undecryptable() from None


def rotate(token: str) -> str:
    """``token`` re-encrypted with the first key (raises Undecryptable)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise Undecryptable() from None
