"""`check --deploy` fails on a weak JWT_SIGNING_KEY (igoultra.E001), as Django does for SECRET_KEY."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import Error

from ultrabackend.checks import check_jwt_signing_key

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("key", ["", None, "change-me-too", "change-me-" + "x" * 40, "short-but-random-Zq1", "a" * 31])
def test_weak_keys_are_errors(settings: Any, key: str | None) -> None:
    settings.JWT_SIGNING_KEY = key
    problems = check_jwt_signing_key(None)
    assert len(problems) == 1 and isinstance(problems[0], Error) and problems[0].id == "igoultra.E001"


def test_a_long_random_key_passes(settings: Any) -> None:
    settings.JWT_SIGNING_KEY = secrets.token_urlsafe(32)
    assert check_jwt_signing_key(None) == []


def _check_deploy(jwt_key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "JWT_"))}
    env.update(DJANGO_SETTINGS_MODULE="ultrabackend.settings.production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    if jwt_key is not None:
        env["JWT_SIGNING_KEY"] = jwt_key
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.parametrize("key", [None, "change-me-too"])
def test_check_deploy_fails_with_production_settings(key: str | None) -> None:
    result = _check_deploy(key)  # production settings refuse to start at all (ultrabackend/secret_keys.py)
    assert result.returncode == 1 and "JWT_SIGNING_KEY is" in result.stderr + result.stdout


def test_check_deploy_passes_with_a_real_key() -> None:
    result = _check_deploy(secrets.token_urlsafe(48))
    assert result.returncode == 0, result.stderr + result.stdout


def test_a_missing_variable_is_an_error_even_though_tokens_fall_back(settings: Any) -> None:
    settings.JWT_SIGNING_KEY = secrets.token_urlsafe(48)  # the production fallback: the secret key
    settings.JWT_SIGNING_KEY_SET = False
    problems = check_jwt_signing_key(None)
    assert [p.id for p in problems] == ["igoultra.E001"] and "not set" in problems[0].msg
