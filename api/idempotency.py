"""The Idempotency-Key request header (xp/add): 1-255 printable ASCII characters, no spaces."""

from __future__ import annotations

from typing import Any

from core.exceptions import InvalidIdempotencyKey


def idempotency_key_from(request: Any) -> str | None:
    """The request's Idempotency-Key (None without one); raises InvalidIdempotencyKey."""
    value = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if value is None:
        return None
    if not (0 < len(value) <= 255) or not all(32 < ord(c) < 127 for c in value):
        raise InvalidIdempotencyKey()
    return str(value)
