"""Production (Heroku-style): secrets and hosts only from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASE_URL, env

if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL).")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refusing to start beats a guessable key
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["api.igoultra.de"])
# The web app: never base.py's development default (localhost) in production.
FRONTEND_URL = env("FRONTEND_URL", default="https://app.igoultra.de").rstrip("/")
AUTH_ALLOWED_REDIRECT_ORIGINS = env.list("AUTH_ALLOWED_REDIRECT_ORIGINS", default=[FRONTEND_URL])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[FRONTEND_URL])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[FRONTEND_URL])
# App tokens need their own key in production (never the secret key).
JWT_SIGNING_KEY_SET = bool(env("JWT_SIGNING_KEY", default=""))
JWT_SIGNING_KEY = env("JWT_SIGNING_KEY", default="")

# Every secret is refused when it is a placeholder, short, of little variety or shared with
# another (ultrabackend/secret_keys.py): a weak key is a reason not to start, not a warning.
from ultrabackend.secret_keys import problems as _secret_problems  # noqa: E402

_weak = _secret_problems(
    {
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "JWT_SIGNING_KEY": JWT_SIGNING_KEY,
        "FIELD_ENCRYPTION_KEY": env("FIELD_ENCRYPTION_KEY", default=""),
        "STRAVA_VERIFY_TOKEN": env("STRAVA_VERIFY_TOKEN", default=""),
        "METRICS_TOKEN": env("METRICS_TOKEN", default=""),
    },
    required=("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"),
)
if _weak:
    raise ImproperlyConfigured(
        "Refusing to start with unfit secrets: "
        + " ".join(_weak)
        + " Generate each with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        " (FIELD_ENCRYPTION_KEY: a Fernet key, see .env.example)."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# The web app lives on app.igoultra.de and calls api.igoultra.de: cookies are shared across the
# parent domain, Secure, and SameSite=Lax (same site, different subdomain).
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_DOMAIN = env("SESSION_COOKIE_DOMAIN", default=None)
CSRF_COOKIE_DOMAIN = env("CSRF_COOKIE_DOMAIN", default=None)
SESSION_COOKIE_SAMESITE = env("SESSION_COOKIE_SAMESITE", default="Lax")
CSRF_COOKIE_SAMESITE = env("CSRF_COOKIE_SAMESITE", default="Lax")
# The session cookie is never readable by scripts; the CSRF cookie is (the web app sends it back as
# X-CSRFToken; GET /api/v1/auth/csrf/ also returns it in the body).
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
# Discord must be reached over HTTPS in production (a stand-in is for tests and staging only).
if not DISCORD_API_URL.startswith("https://"):  # noqa: F405
    raise ImproperlyConfigured("DISCORD_API_URL must be an https:// URL in production.")
# Linked Roles and Strava keep players' tokens encrypted at rest: refuse to start without a valid key.
if DISCORD_LINKED_ROLES_ENABLED or STRAVA_CLIENT_ID:  # noqa: F405
    from ultrabackend.crypto import check_keys

    check_keys(FIELD_ENCRYPTION_KEY)  # noqa: F405
