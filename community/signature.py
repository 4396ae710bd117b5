"""Discord signs every interaction with Ed25519: X-Signature-Ed25519 over
X-Signature-Timestamp + the raw body, checked against the application's public key. A signed
interaction whose timestamp is more than ``DISCORD_SIGNATURE_MAX_AGE_SECONDS`` away from now
(a replay, or a clock far off) is refused too."""

from __future__ import annotations

import binascii
import time

from django.conf import settings
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from core.exceptions import InteractionSignatureInvalid, InteractionsNotConfigured, InteractionTimestampInvalid


def verify(*, public_key_hex: str, signature_hex: str | None, timestamp: str | None, body: bytes) -> None:
    """Raises InteractionsNotConfigured (503 feature_not_configured), InteractionSignatureInvalid or
    InteractionTimestampInvalid (401)."""
    if not public_key_hex:
        raise InteractionsNotConfigured()
    if not signature_hex or not timestamp:
        raise InteractionSignatureInvalid("X-Signature-Ed25519 and X-Signature-Timestamp are required.")
    try:
        key = VerifyKey(binascii.unhexlify(public_key_hex.strip()))
    except (binascii.Error, ValueError, TypeError):
        raise InteractionsNotConfigured() from None
    try:
        signature = binascii.unhexlify(signature_hex)
        key.verify(timestamp.encode() + body, signature)
    except (binascii.Error, ValueError, TypeError, BadSignatureError):
        raise InteractionSignatureInvalid() from None
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise InteractionTimestampInvalid() from None
    if abs(time.time() - signed_at) > settings.DISCORD_SIGNATURE_MAX_AGE_SECONDS:
        raise InteractionTimestampInvalid()
