"""Serializer fields stricter than DRF's defaults."""

import re
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.errors import field_error
from core.exceptions import UnknownField

SEASON_ID_PATTERN = r"^[0-9]{4}-(?:0[1-9]|1[0-2])$"  # a season: a UTC month, YYYY-MM
DECIMAL_STRING_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def decimal_pattern(max_whole_digits: int | None, decimal_places: int | None) -> str:
    """The documented pattern of a decimal string (ASCII digits, no exponent, no spaces)."""
    whole = "[0-9]+" if max_whole_digits is None else f"[0-9]{{1,{max(max_whole_digits, 1)}}}"
    if not decimal_places:
        return f"^-?{whole}$"
    return rf"^-?{whole}(?:\.[0-9]{{1,{decimal_places}}})?$"


class ExactDecimalField(serializers.DecimalField):
    """A decimal accepted as a JSON number or a decimal string, exactly (never through a float).

    - A JSON number arrives as ``int`` or ``Decimal`` (api/parsers.py parses floats as Decimal,
      refuses NaN and Infinity); exponent forms (``1e2``, ``1.5E0``) are exact there.
    - A string must be a plain decimal: ``"1.5"``, ``"-2"``, ``"10.00"`` (ASCII digits, no
      exponent, no sign but ``-``, no spaces): anything else is ``invalid``.
    - Booleans, lists, objects are ``not_a_number``; null is ``null``.
    - Then DRF's precision rules: ``max_digits``, ``max_decimal_places``, ``max_whole_digits``.
    Rendered as a decimal string (``"1.50"``), as every decimal of the API.
    """

    default_error_messages = {
        **serializers.DecimalField.default_error_messages,
        "not_a_number": "Must be a number or a decimal string.",
    }

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float | Decimal | str):
            self.fail("not_a_number")
        if isinstance(data, str):
            if len(data) > self.MAX_STRING_LENGTH:
                self.fail("max_string_length")
            if not DECIMAL_STRING_RE.fullmatch(data):
                self.fail("invalid")
        elif isinstance(data, float):  # not from JSON (the parser gives Decimal); its shortest repr
            data = repr(data)
        return super().to_internal_value(data)


class NoUnknownFieldsMixin:
    """Refuse fields the endpoint does not know (a client cannot set xp, level or rank)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError({name: [field_error(UnknownField)] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictSlugField(serializers.CharField):
    """A slug exactly as sent: ASCII letters, digits, ``-`` and ``_``, nothing before or after.

    DRF's SlugField checks with ``$``, which also matches before a trailing newline; this one
    uses fullmatch (pass ``trim_whitespace=False`` so "steps " is not quietly "steps")."""

    default_error_messages = {
        "invalid": _('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    }
    SLUG = re.compile(r"[-a-zA-Z0-9_]+")

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not self.SLUG.fullmatch(value):
            self.fail("invalid")
        return value


class StrictCharField(serializers.CharField):
    """A string exactly as sent: not trimmed, and a number or a list is refused rather than
    turned into text."""

    default_error_messages = {"not_a_string": "A string is required."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return str(super().to_internal_value(data))
