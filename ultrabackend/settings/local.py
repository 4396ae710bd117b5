"""Local development: DEBUG on unless the environment says otherwise."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, database_settings, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_USE_FINDERS = True  # Swagger UI and admin assets work before collectstatic

if not DATABASES:  # no DATABASE_URL: the embedded PostgreSQL (ultrabackend/embedded_db.py)
    from ultrabackend.embedded_db import database_settings as embedded_database

    DATABASES = {"default": database_settings(embedded_database(BASE_DIR))}
