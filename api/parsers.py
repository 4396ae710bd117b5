"""JSON parsing that refuses what a float-based parser would let through."""

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser


class PayloadTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_exact(text: str) -> Any:
    """JSON with decimals kept exact and NaN/Infinity refused (ValueError, RecursionError)."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


class StrictJSONParser(JSONParser):
    """Decimals stay exact (no binary floats), NaN/Infinity are refused, bodies are bounded."""

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
        try:
            text = raw.decode((parser_context or {}).get("encoding", settings.DEFAULT_CHARSET))
            return loads_exact(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except RecursionError:  # absurdly deep nesting: refuse it like any other malformed body
            raise ParseError("JSON parse error - nested too deeply.") from None
