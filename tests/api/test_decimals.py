"""Decimals: accepted as a JSON number or a decimal string, exactly (never through a float),
rendered as decimal strings, documented one way."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.fields import ExactDecimalField
from tests.contract.schema import generated_schema
from xp.models import ActivityType, XPEntry

pytestmark = pytest.mark.django_db
ADD = "/api/v1/xp/add/"


def add(client, raw: str):  # type: ignore[no-untyped-def]
    return client.generic("POST", ADD, '{"activity": "running", "units": ' + raw + "}", content_type="application/json")


@pytest.mark.parametrize(
    ("raw", "units"),
    [
        ('"1.5"', "1.50"),
        ("1.5", "1.50"),
        ('"10"', "10.00"),
        ("10", "10.00"),
        ('"0.01"', "0.01"),
        ('"-0"', None),  # parsed exactly, then refused by the rule: units must be > 0
        ("1e1", "10.00"),  # a JSON number's exponent form is exact
        ("1.5E0", "1.50"),
        ("2.50", "2.50"),
        ('"99.99"', "99.99"),
    ],
)
def test_numbers_and_decimal_strings_are_accepted_exactly(player_client, raw, units):
    ActivityType.objects.update(review_above=None)  # decimals here, not plausibility (tests/claims)
    response = add(player_client, raw)
    if units is None:
        assert (response.status_code, response.json()["code"]) == (400, "units_not_positive")
        return
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["entry"]["units"] == units  # rendered one way: a decimal string
    assert XPEntry.objects.get(pk=body["entry"]["id"]).units == Decimal(units)
    assert body["awarded_xp"] == int(Decimal(units) * 300)  # running: 300 XP per km, floor


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('"1e2"', "invalid"),  # no exponent in strings
        ('"1.5 "', "invalid"),  # no silent trimming
        ('" 1.5"', "invalid"),
        ('"+1.5"', "invalid"),
        ('"1."', "invalid"),
        ('".5"', "invalid"),
        ('"1,5"', "invalid"),
        ('"\\u0661.5"', "invalid"),  # Arabic-Indic digit
        ('"NaN"', "invalid"),
        ('"Infinity"', "invalid"),
        ('""', "invalid"),
        ('"1.234"', "max_decimal_places"),
        ("1.234", "max_decimal_places"),
        ("0.30000000000000004", "max_digits"),  # what a float sum prints: refused, never rounded
        ('"12345678901"', "max_whole_digits"),
        ('"123456789012.5"', "max_digits"),
        ("1e999999", "max_digits"),
        ("NaN", "parse_error"),
        ("Infinity", "parse_error"),
        ("true", "not_a_number"),
        ("[1]", "not_a_number"),
        ("null", "null"),
    ],
)
def test_malformed_decimals_are_refused_and_change_nothing(player_client, raw, code):
    response = add(player_client, raw)
    assert (response.status_code, response.json()["code"]) == (400, code), response.content
    assert not XPEntry.objects.exists()


def test_what_the_api_renders_it_accepts_back(player_client):
    """A client can send back what it reads: the units of an entry it got (a decimal string)."""
    first = player_client.post(ADD, {"activity": "pushups", "units": 12.5}, format="json").json()["entry"]
    assert first["units"] == "12.50"
    again = player_client.post(ADD, {"activity": "pushups", "units": first["units"]}, format="json")
    assert again.status_code == 201 and again.json()["entry"]["units"] == "12.50"
    activity = next(a for a in player_client.get("/api/v1/activities/").json()["results"] if a["key"] == "pushups")
    assert all(isinstance(activity[k], str) for k in ("xp_per_unit", "max_units_per_entry"))


def test_decimals_are_documented_one_way():
    schema = generated_schema()
    components = schema["components"]["schemas"]
    units = components["AddXPInputRequest"]["properties"]["units"]
    number, string = units["oneOf"]
    assert number["type"] == "number" and number["multipleOf"] == 0.01
    assert string == {
        "type": "string",
        "format": "decimal",
        "pattern": r"^-?[0-9]{1,10}(?:\.[0-9]{1,2})?$",
        "example": "1.00",
    }
    found = []

    def walk(node, where):  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            if node.get("format") == "decimal":
                found.append(where)
                assert node["type"] == "string" and node["pattern"].startswith("^-?[0-9]"), where
            if node.get("type") == "number" and "format" in node:
                assert node["format"] == "double", where  # progress (a ratio) is the one float
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(components, "components")
    for name in ("Activity", "Entry", "HistoryEntry"):
        assert any(where.startswith(f"components.{name}.") for where in found), name
    for name, component in components.items():  # every request decimal takes a number or a string
        for field, prop in component.get("properties", {}).items():
            if name.endswith("Request") and prop.get("format") == "decimal":
                pytest.fail(f"{name}.{field}: a request decimal must be oneOf number/string")


def test_the_field_never_goes_through_a_float():
    field = ExactDecimalField(max_digits=12, decimal_places=2)
    assert field.run_validation(Decimal("0.1")) + field.run_validation("0.2") == Decimal("0.3")
