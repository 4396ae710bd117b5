"""Serializer fields stricter than DRF's defaults."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers


class JSONNumberDecimalField(serializers.DecimalField):
    """A decimal that must arrive as a JSON number (not a string, boolean or object)."""

    default_error_messages = {**serializers.DecimalField.default_error_messages, "not_a_number": "Must be a number."}

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool) or not isinstance(data, int | float | Decimal):
            self.fail("not_a_number")
        return super().to_internal_value(data)


class NoUnknownFieldsMixin:
    """Refuse fields the endpoint does not know (a client cannot set xp, level or rank)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))  # type: ignore[attr-defined]
            if unknown:
                raise serializers.ValidationError(
                    {
                        name: [serializers.ErrorDetail("This field is not accepted.", code="unknown_field")]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]


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
