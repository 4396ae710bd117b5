"""Discord signs every interaction with Ed25519: X-Signature-Ed25519 over
X-Signature-Timestamp + the raw body, checked against the application's public key."""

from __future__ import annotations

import binascii

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey


class SignatureRefused(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def verify(*, public_key_hex: str, signature_hex: str | None, timestamp: str | None, body: bytes) -> None:
    """Raises SignatureRefused (code ``interactions_not_configured`` or ``invalid_signature``)."""
    if not public_key_hex:
        raise SignatureRefused("interactions_not_configured", "DISCORD_PUBLIC_KEY is not set on this server.")
    if not signature_hex or not timestamp:
        raise SignatureRefused("invalid_signature", "X-Signature-Ed25519 and X-Signature-Timestamp are required.")
    try:
        key = VerifyKey(binascii.unhexlify(public_key_hex.strip()))
    except (binascii.Error, ValueError, TypeError):
        raise SignatureRefused("interactions_not_configured", "DISCORD_PUBLIC_KEY is not a hex Ed25519 key.") from None
    try:
        signature = binascii.unhexlify(signature_hex)
        key.verify(timestamp.encode() + body, signature)
    except (binascii.Error, ValueError, TypeError, BadSignatureError):
        raise SignatureRefused("invalid_signature", "The interaction signature does not match.") from None
