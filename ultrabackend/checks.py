"""System checks of our own settings (``python manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

from ultrabackend import secret_keys

JWT_KEY_MIN_LENGTH = secret_keys.MIN_LENGTH
PLACEHOLDER_PREFIXES = secret_keys.PLACEHOLDER_PREFIXES
SECRET_SETTINGS = ("SECRET_KEY", "JWT_SIGNING_KEY", "FIELD_ENCRYPTION_KEY", "STRAVA_VERIFY_TOKEN", "METRICS_TOKEN")


def jwt_key_problem(key: object) -> str | None:
    """Why ``key`` cannot sign app tokens in production (None when it can)."""
    if not isinstance(key, str) or not key:
        return "JWT_SIGNING_KEY is not set."
    if key == getattr(settings, "SECRET_KEY", None):
        return "JWT_SIGNING_KEY is the same value as DJANGO_SECRET_KEY: every secret needs its own."
    return secret_keys.weakness("JWT_SIGNING_KEY", key)


@register(Tags.security, deploy=True)
def check_jwt_signing_key(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Like Django's SECRET_KEY check, but an error: anyone who knows a weak key can forge an
    access token for any player."""
    if not getattr(settings, "JWT_SIGNING_KEY_SET", True):  # production: the variable is missing
        problem: str | None = "JWT_SIGNING_KEY is not set (app tokens are signed with the secret key)."
    else:
        problem = jwt_key_problem(getattr(settings, "JWT_SIGNING_KEY", None))
    if problem is None:
        return []
    return [
        Error(
            problem,
            hint=(
                f"Set JWT_SIGNING_KEY to a random value of at least {JWT_KEY_MIN_LENGTH} characters, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'."
            ),
            id="igoultra.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Every other secret (DJANGO_SECRET_KEY, FIELD_ENCRYPTION_KEY, STRAVA_VERIFY_TOKEN,
    METRICS_TOKEN) under the same rules, and no two secrets alike: errors, not warnings."""
    values = {
        ("DJANGO_SECRET_KEY" if name == "SECRET_KEY" else name): str(getattr(settings, name, "") or "")
        for name in SECRET_SETTINGS
    }
    found = [p for p in secret_keys.problems(values) if not p.startswith("JWT_SIGNING_KEY")]
    return [
        Error(
            problem,
            hint="Generate each secret separately: python -c 'import secrets; print(secrets.token_urlsafe(48))'.",
            id="igoultra.E002",
        )
        for problem in found
    ]
