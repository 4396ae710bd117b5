"""Issue 22, point 5: production settings refuse to start with a placeholder, short, low-entropy
or shared secret, for every secret; ``check --deploy`` reports the same as errors."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from ultrabackend.checks import check_jwt_signing_key, check_secrets

ROOT = Path(__file__).resolve().parents[2]


def strong() -> str:
    return secrets.token_urlsafe(48)


def start_production(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the production settings as gunicorn would (nothing connects to the database)."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_", "STRAVA_", "METRICS_", "FIELD_"))
    }
    base = {
        "DJANGO_SETTINGS_MODULE": "ultrabackend.settings.production",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "DJANGO_SECRET_KEY": strong(),
        "JWT_SIGNING_KEY": strong(),
    }
    full = {**clean, **base, **env}
    for name, value in env.items():
        if value == "<unset>":
            del full[name]
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"JWT_SIGNING_KEY": "change-me-to-48-random-characters"}, "JWT_SIGNING_KEY is a placeholder"),
        ({"DJANGO_SECRET_KEY": "change-me"}, "DJANGO_SECRET_KEY is a placeholder"),
        ({"DJANGO_SECRET_KEY": "a" * 32}, "DJANGO_SECRET_KEY has too little variety"),
        ({"JWT_SIGNING_KEY": "a" * 64}, "JWT_SIGNING_KEY has too little variety"),
        ({"JWT_SIGNING_KEY": "".join(chr(c) for c in range(48, 88))}, "JWT_SIGNING_KEY is a sequence"),
        ({"JWT_SIGNING_KEY": "Zq1-short-but-random"}, "JWT_SIGNING_KEY is shorter"),
        ({"JWT_SIGNING_KEY": "<unset>"}, "JWT_SIGNING_KEY is not set"),
        ({"DJANGO_SECRET_KEY": "same-" + "k3Y9x" * 8, "JWT_SIGNING_KEY": "same-" + "k3Y9x" * 8}, "the same value"),
        ({"STRAVA_VERIFY_TOKEN": "changeme"}, "STRAVA_VERIFY_TOKEN is a placeholder"),
        ({"STRAVA_VERIFY_TOKEN": "verify"}, "STRAVA_VERIFY_TOKEN is shorter"),
        ({"METRICS_TOKEN": "0" * 40}, "METRICS_TOKEN has too little variety"),
        ({"FIELD_ENCRYPTION_KEY": "A" * 43 + "="}, "FIELD_ENCRYPTION_KEY has too little variety"),
    ],
)
def test_production_refuses_to_start_with_an_unfit_secret(env: dict[str, str], complaint: str) -> None:
    result = start_production(**env)
    assert result.returncode != 0 and "started" not in result.stdout
    assert complaint in result.stderr, result.stderr[-800:]


def test_a_secret_shared_between_two_features_is_refused() -> None:
    token = strong()
    result = start_production(METRICS_TOKEN=token, STRAVA_VERIFY_TOKEN=token)
    assert result.returncode != 0 and "METRICS_TOKEN is the same value as STRAVA_VERIFY_TOKEN" in result.stderr


def test_production_starts_with_strong_distinct_secrets() -> None:
    result = start_production(
        FIELD_ENCRYPTION_KEY=Fernet.generate_key().decode(), STRAVA_VERIFY_TOKEN=strong(), METRICS_TOKEN=strong()
    )
    assert result.returncode == 0, result.stderr[-800:]
    assert "started" in result.stdout


def test_check_deploy_reports_weak_and_shared_secrets_as_errors(settings: Any) -> None:
    settings.SECRET_KEY = "a" * 50
    settings.JWT_SIGNING_KEY = "a" * 50
    settings.STRAVA_VERIFY_TOKEN = strong()
    assert [p.id for p in check_jwt_signing_key(None)] == ["igoultra.E001"]
    found = check_secrets(None)
    assert {p.id for p in found} == {"igoultra.E002"} and any("DJANGO_SECRET_KEY" in p.msg for p in found)
    settings.SECRET_KEY, settings.JWT_SIGNING_KEY = strong(), strong()
    settings.FIELD_ENCRYPTION_KEY = ""
    assert check_jwt_signing_key(None) == [] and check_secrets(None) == []
    settings.JWT_SIGNING_KEY = settings.SECRET_KEY
    assert "same value" in check_jwt_signing_key(None)[0].msg
