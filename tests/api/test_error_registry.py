"""One registry of error codes (core/exceptions.py ``ERRORS``): every code declared once, with
its kind (one map to the status) and its English text, German from the .po; the exception
handler, the OpenAPI document, the Discord refusals and the contract documents all use it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import validators
from django.utils import translation
from rest_framework import fields

from api.errors import DOMAIN_STATUS
from core.exceptions import ERRORS, KINDS, DomainError
from tests.contract.schema import generated_schema

ROOT = Path(settings.BASE_DIR)
# Texts that read the same in German.
SAME_IN_GERMAN: set[str] = set()


def _field_codes() -> set[str]:
    """DRF's validation codes of serializer fields (``required``, ``max_length``, ...): they are
    the fields' own, listed per operation from the serializers, not registered errors."""
    found: set[str] = set()
    pending: list[type] = [fields.Field]
    while pending:
        cls = pending.pop()
        found |= set(getattr(cls, "default_error_messages", {}))
        pending += cls.__subclasses__()
    found |= {v.code for v in (validators.MaxLengthValidator(1), validators.MinLengthValidator(1))}
    found |= {validators.MaxValueValidator(1).code, validators.MinValueValidator(1).code, "unique"}
    found |= {validators.ProhibitNullCharactersValidator.code, fields.ProhibitSurrogateCharactersValidator.code}
    return found


FIELD_CODES = _field_codes()


def test_every_kind_has_one_status():
    assert set(DOMAIN_STATUS) == set(KINDS)


def test_every_registered_code_has_a_german_text():
    texts = {text for error in ERRORS.values() for text in (error.message, error.discord) if text}
    with translation.override("de"):
        missing = sorted(text for text in texts if translation.gettext(text) == text and text not in SAME_IN_GERMAN)
    assert missing == []


def test_declaring_a_code_twice_fails_at_import():
    with pytest.raises(TypeError, match="declared twice"):
        type("Again", (DomainError,), {"code": "csrf_failed", "kind": "forbidden", "message": "x"})
    assert ERRORS["csrf_failed"].__name__ == "CsrfFailed"


# A code declared by hand: code="x", code = "x", "code": "x", default_code = "x", or the first of
# a ``code, kind, message = ("x", ...)`` tuple.
DECLARATION = re.compile(
    r"""(?:\bcode\s*=\s*|["']code["']\s*:\s*|\bdefault_code\s*=\s*|code, kind, message = \(?\s*)["']([a-z_]+)["']"""
)
SOURCES = ("api", "core", "community", "integrations", "showcase", "users", "xp", "claims", "quests", "ultrabackend")


def test_no_error_code_is_declared_outside_the_registry():
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            for code in DECLARATION.findall(path.read_text()):
                found.setdefault(code, []).append(str(path.relative_to(ROOT)))
    registry = "core/exceptions.py"
    elsewhere = {code: paths for code, paths in found.items() if paths != [registry] and code not in FIELD_CODES}
    assert elsewhere == {}
    assert all(len(paths) == 1 for paths in found.values())


def _documented(text: str) -> set[tuple[int | None, str]]:
    """(status, code) pairs the contract documents mention: ``409 `claim_decided```,
    ``400 invalid_page`` or ``code `layer_too_low```."""
    with_status = {
        (int(status), code) for status, code in re.findall(r"\b([45]\d\d) `?([a-z]+(?:_[a-z]+)+|[a-z]+(?=`))`?", text)
    }
    named = {(None, code) for code in re.findall(r"`code` `([a-z_]+)`", text)}
    return with_status | named


def test_every_code_the_contract_names_is_registered_with_its_status():
    # docs/api-contract.md is the repository's own copy of the contract (design's API.md included).
    document = ROOT / "docs" / "api-contract.md"
    mentioned = _documented(document.read_text())
    assert mentioned, "the pattern found no code at all"
    unknown = sorted(code for _, code in mentioned if code not in ERRORS)
    assert unknown == []
    wrong = sorted(
        (status, code) for status, code in mentioned if status and DOMAIN_STATUS[ERRORS[code].kind] != status
    )
    assert wrong == []


def test_every_code_the_schema_documents_is_registered():
    schema = generated_schema()
    codes: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            code = node.get("properties", {}).get("code") if isinstance(node.get("properties"), dict) else None
            if isinstance(code, dict) and "enum" in code:
                codes.update(code["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert codes, "no error code found in the schema"
    assert sorted(codes - set(ERRORS) - FIELD_CODES) == []
