"""The API's JSON renderer writes exactly what DRF's JSONRenderer writes."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from api.renderers import FastJSONRenderer

DOCUMENTS = [
    {"a": 1, "b": [True, False, None], "c": "text", "d": 1.5, "e": -(2**63)},
    {"unicode": "Grüße, 日本, 🎮", "separators": "line\u2028paragraph\u2029end", "quote": 'a "b" \\ c\n'},
    {"at": datetime(2026, 12, 2, 10, 30, 5, 123456, tzinfo=UTC), "day": date(2026, 12, 2), "t": time(9, 5)},
    {"naive": datetime(2026, 12, 2, 10, 30), "span": timedelta(seconds=90), "id": UUID(int=7)},
    {"amount": Decimal("12.50"), "lazy": gettext_lazy("Not found."), "tuple": (1, 2), "set_free": []},
    ReturnDict({"nested": ReturnList([{"x": 1}], serializer=None)}, serializer=None),
    [],
    "",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_same_bytes_as_drf(document):
    assert FastJSONRenderer().render(document, "application/json") == JSONRenderer().render(
        document, "application/json"
    )


def test_what_orjson_cannot_write_is_written_by_drf():
    for document in ({1: "integer key"}, {"big": 2**70}):
        assert FastJSONRenderer().render(document) == JSONRenderer().render(document)


def test_pretty_printing_and_no_content_as_drf():
    document = {"a": [1, 2]}
    assert FastJSONRenderer().render(document, "application/json; indent=2") == b'{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert FastJSONRenderer().render(None) == b""


@pytest.mark.django_db
def test_the_api_answers_through_it(api_client):
    response = api_client.get("/api/v1/health/")
    assert isinstance(response.accepted_renderer, FastJSONRenderer)
    assert response.content == JSONRenderer().render(response.json())
