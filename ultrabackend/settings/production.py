"""Production (Heroku-style): secrets and hosts only from the environment."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASE_URL, env

if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL).")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refusing to start beats a guessable key
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["api.igoultra.de"])

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
