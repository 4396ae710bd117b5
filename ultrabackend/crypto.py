"""Secrets stored at rest (OAuth tokens of outside services), encrypted with Fernet.

The key comes from the environment: ``FIELD_ENCRYPTION_KEY``, one Fernet key (32 url-safe
base64 bytes, ``Fernet.generate_key()``) or a comma-separated list of them. The first key
encrypts; every key decrypts (MultiFernet), so a key is rotated by putting the new one first,
re-encrypting (``rotate``) and later dropping the old one. Without the variable the key is
derived from DJANGO_SECRET_KEY (development; production sets its own).
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """A stored value no configured key can open (wrong or dropped key, corrupted value)."""


def _explicit_keys(value: object) -> str:
    """The configured keys as one comma-separated string (the setting may be a string or a list)."""
    if isinstance(value, list | tuple):
        return ",".join(str(key).strip() for key in value if str(key).strip())
    return str(value or "").strip()


def check_keys(keys: object) -> MultiFernet:
    """The MultiFernet for explicitly configured ``keys``; raises ImproperlyConfigured when there
    is none or one is not a Fernet key. Production settings call it when a feature stores tokens."""
    return _fernet_for(_explicit_keys(keys))


def _keys_setting() -> str:
    keys = _explicit_keys(getattr(settings, "FIELD_ENCRYPTION_KEY", ""))
    if keys:
        return keys
    # Unset (development, a first deployment): a key derived from DJANGO_SECRET_KEY, so tokens
    # are never stored in clear. Production should set its own key: changing the secret key
    # would otherwise make the stored tokens unreadable (the players reconnect).
    secret = str(getattr(settings, "SECRET_KEY", "") or "")
    if not secret:
        return ""
    digest = hashlib.sha256(f"igoultra.field-encryption:{secret}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


@lru_cache(maxsize=4)
def _fernet_for(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is not set (see .env.example).")
    try:
        return MultiFernet([Fernet(k.encode()) for k in parts])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key.") from exc


def is_configured() -> bool:
    try:
        _fernet_for(_keys_setting())
    except ImproperlyConfigured:
        return False
    return True


def encrypt(value: str) -> str:
    """``value`` encrypted with the first key (text, safe for a TextField)."""
    return _fernet_for(_keys_setting()).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of ``token``; raises DecryptionFailed."""
    try:
        return _fernet_for(_keys_setting()).decrypt(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed() from None


def rotate(token: str) -> str:
    """``token`` re-encrypted with the first key (for key rotation)."""
    try:
        return _fernet_for(_keys_setting()).rotate(token.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed() from None
