"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import (
    AUTH_ALLOWED_REDIRECT_ORIGINS,
    BASE_DIR,
    CORS_ALLOWED_ORIGINS,
    CSRF_TRUSTED_ORIGINS,
    DATABASES,
    database_settings,
    env,
)

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_USE_FINDERS = True  # Swagger UI and admin assets work before collectstatic

if not DATABASES:  # no DATABASE_URL: the embedded PostgreSQL (ultrabackend/embedded_db.py)
    from ultrabackend.embedded_db import database_settings as embedded_database

    DATABASES = {"default": database_settings(embedded_database(BASE_DIR))}

# A frontend on a common development port of this machine works without configuration (never in
# production: only these local settings add them).
DEV_FRONTEND_ORIGINS = [f"http://{host}:{port}" for host in ("localhost", "127.0.0.1") for port in (3000, 5173, 8080)]
CORS_ALLOWED_ORIGINS = [*CORS_ALLOWED_ORIGINS, *(o for o in DEV_FRONTEND_ORIGINS if o not in CORS_ALLOWED_ORIGINS)]
CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, *(o for o in DEV_FRONTEND_ORIGINS if o not in CSRF_TRUSTED_ORIGINS)]
AUTH_ALLOWED_REDIRECT_ORIGINS = [
    *AUTH_ALLOWED_REDIRECT_ORIGINS,
    *(o for o in DEV_FRONTEND_ORIGINS if o not in AUTH_ALLOWED_REDIRECT_ORIGINS),
]
