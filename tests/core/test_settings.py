"""Settings per environment: development conveniences never reach production."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {  # production refuses weak secrets (ultrabackend/secret_keys.py)
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
}


def settings_of(module: str, **env: str) -> dict:
    code = (
        "import json, django; from django.conf import settings; "
        "print(json.dumps({'cors': settings.CORS_ALLOWED_ORIGINS, 'csrf': settings.CSRF_TRUSTED_ORIGINS, "
        "'debug': settings.DEBUG}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in {"CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": module, "DATABASE_URL": "postgres://x@127.0.0.1/x", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_settings_let_common_dev_ports_through_cors():
    local = settings_of("ultrabackend.settings.local")
    for origin in ("http://localhost:5173", "http://localhost:3000", "http://127.0.0.1:8080"):
        assert origin in local["cors"] and origin in local["csrf"]


def test_production_settings_never_allow_dev_ports():
    production = settings_of(
        "ultrabackend.settings.production", FRONTEND_URL="https://app.igoultra.de", **PRODUCTION_ENV
    )
    assert production["debug"] is False
    assert production["cors"] == production["csrf"] == ["https://app.igoultra.de"]
    bare = settings_of("ultrabackend.settings.production", **PRODUCTION_ENV)  # FRONTEND_URL unset
    assert not any(port in origin for origin in bare["cors"] + bare["csrf"] for port in (":5173", ":8080"))


def test_production_refuses_to_start_without_database_url():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **env,
            **{k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"},
            "DJANGO_SETTINGS_MODULE": "ultrabackend.settings.production",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "DATABASE_URL must be set in production" in result.stderr
