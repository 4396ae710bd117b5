"""JSON parsing that refuses what a float-based parser would let through.

Every JSON body of the API (the DRF views, the xp/add hot path, Discord's interactions) is read
by ``loads_exact``, once: decimals stay exact, NaN/Infinity are refused, and so is text that
could not be stored or echoed safely (a lone surrogate, a NUL: ``invalid_text``), an object
with the same key twice (``duplicate_key``) and nesting deeper than ``MAX_DEPTH`` levels.
"""

import json
import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import FormParser, JSONParser

from core import exceptions as errors
from core.exceptions import DuplicateKey, InvalidText

# No request body of this API nests deeper than a few levels (a Discord interaction: about 6).
# Deeper structures are refused before any code walks them recursively.
MAX_DEPTH = 32
# A NUL (PostgreSQL text refuses it) or a UTF-16 surrogate (only a lone one survives a \\u
# escape; it cannot be encoded as UTF-8 to store, log or echo).
BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class PayloadTooLarge(APIException):
    """413 payload_too_large (core/exceptions.py), raised where DRF reads the body."""

    status_code = 413
    default_detail = errors.PayloadTooLarge.message
    default_code = errors.PayloadTooLarge.code


class InvalidTextError(ValueError):
    """loads_exact's refusal of a lone surrogate or a NUL (a ValueError: callers that only
    tell JSON from not-JSON keep working)."""


class DuplicateKeyError(ValueError):
    """loads_exact's refusal of an object with the same key twice."""


class TooDeepError(ValueError):
    """loads_exact's refusal of nesting deeper than MAX_DEPTH."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise DuplicateKeyError(key)
        found[key] = value
    return found


def has_invalid_text(value: str) -> bool:
    return BAD_TEXT.search(value) is not None


def _check(data: Any) -> None:
    """Refuse a lone surrogate or NUL in any key or string, and nesting beyond MAX_DEPTH
    (iteratively: the check itself never recurses)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if BAD_TEXT.search(value):
                raise InvalidTextError("lone surrogate or NUL")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    if BAD_TEXT.search(key):
                        raise InvalidTextError("lone surrogate or NUL")
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def loads_exact(text: str | bytes) -> Any:
    """JSON with decimals kept exact; raises a ValueError for NaN/Infinity and malformed JSON,
    InvalidTextError (not UTF-8, a lone surrogate, a NUL), DuplicateKeyError, TooDeepError."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidTextError("not UTF-8") from None
    if "\x00" in text:
        raise InvalidTextError("NUL")
    try:
        data = json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_object)
    except RecursionError:  # absurdly deep nesting
        raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels") from None
    _check(data)
    return data


def refusal(exc: ValueError) -> Exception:
    """The API's answer to a loads_exact refusal: 400 invalid_text, duplicate_key or parse_error."""
    if isinstance(exc, InvalidTextError):
        return InvalidText()
    if isinstance(exc, DuplicateKeyError):
        return DuplicateKey(key=str(exc).encode("utf-8", "replace").decode()[:100])
    if isinstance(exc, TooDeepError):
        return ParseError("JSON parse error - nested too deeply.")
    return ParseError(f"JSON parse error - {exc}")


class StrictJSONParser(JSONParser):
    """Decimals stay exact (no binary floats), NaN/Infinity are refused, bodies are bounded, and
    text is valid UTF-8 without lone surrogates or NUL (``loads_exact``)."""

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        limit = settings.MAX_REQUEST_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        try:
            if length and int(length) > limit:
                raise PayloadTooLarge()
        except ValueError:
            raise ParseError("Invalid Content-Length.") from None
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge()
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise InvalidText() from None
        try:
            return loads_exact(text)
        except ValueError as exc:
            raise refusal(exc) from None


class StrictFormParser(FormParser):
    """Form bodies (the browser's sign-in form) under the same text rule as JSON."""

    def parse(self, stream, media_type=None, parser_context=None):  # type: ignore[no-untyped-def]
        data = super().parse(stream, media_type, parser_context)
        for key, values in data.lists():
            if has_invalid_text(key) or any(has_invalid_text(v) for v in values):
                raise InvalidText()
        return data
