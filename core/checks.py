"""System checks of our own settings (``python manage.py check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

JWT_KEY_MIN_LENGTH = 32
# Values from .env.example and Django's generated keys: never fit for signing real tokens.
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "django-insecure-", "insecure-")


def jwt_key_problem(key: object) -> str | None:
    """Why ``key`` cannot sign app tokens in production (None when it can)."""
    if not isinstance(key, str) or not key:
        return "JWT_SIGNING_KEY is not set."
    if len(key) < JWT_KEY_MIN_LENGTH:
        return f"JWT_SIGNING_KEY is shorter than {JWT_KEY_MIN_LENGTH} characters."
    if key.lower().startswith(PLACEHOLDER_PREFIXES):
        return "JWT_SIGNING_KEY is a placeholder value."
    return None


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
