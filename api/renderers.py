"""The API's JSON renderer: DRF's JSONRenderer output, written by orjson.

Same bytes as DRF's for every document the API answers with: compact separators, UTF-8,
U+2028/U+2029 escaped, and what the standard encoder cannot write natively (dates and times,
Decimal, lazy translations, ...) handed to DRF's own encoder. Pretty-printing (``; indent=``)
and anything orjson refuses (a key that is not a string, an integer beyond 64 bits) are written
by DRF's renderer itself. Measured: docs/benchmarks.md ("Issue 14: the signed-in leaderboard page").
"""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer
from rest_framework.utils import encoders

_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()
_standard_encoder = encoders.JSONEncoder()
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


# Accept headers a JSON answer satisfies as DRF would negotiate it (the lean paths answer only these).
JSON_ACCEPTED = frozenset({"", "*/*", "application/json", "application/json, */*", "application/*"})


def render_json(document: Any) -> bytes:
    """``document`` as DRF's JSONRenderer writes it; TypeError when orjson cannot write it."""
    content = orjson.dumps(document, default=_standard_encoder.default, option=_OPTIONS)
    if _LINE_SEPARATOR in content or _PARAGRAPH_SEPARATOR in content:
        content = content.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
    return content


class FastJSONRenderer(JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None or self.get_indent(accepted_media_type or "", renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
        try:
            return render_json(data)
        except TypeError:
            return super().render(data, accepted_media_type, renderer_context)  # type: ignore[no-any-return]
