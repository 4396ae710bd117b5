"""Test settings: the database and Redis come from DATABASE_URL / REDIS_URL when set (CI)."""

import hashlib
import os

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, REST_FRAMEWORK, database_settings, env

if not DATABASES:  # no DATABASE_URL: the embedded PostgreSQL (ultrabackend/embedded_db.py)
    from ultrabackend.embedded_db import database_settings as embedded_database

    DATABASES = {"default": database_settings(embedded_database(BASE_DIR))}

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests get their own key space in Redis so a developer's running server is not disturbed.
# Each pytest-xdist worker of each checkout gets its own prefix: one worker emptying its keys never
# touches another's, even when two checkouts of the project run their suites at once.
_CHECKOUT = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:6]
for _cache in CACHES.values():  # noqa: F405
    if "KEY_PREFIX" in _cache:
        _cache["KEY_PREFIX"] = f"igo-test-{_CHECKOUT}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
REST_FRAMEWORK = {**REST_FRAMEWORK}
# The test machines are shared and loaded: a Redis answer may take longer than production's tens
# of milliseconds, and a spurious timeout would open the breaker under a test that expects Redis.
# The breaker's own tests set short timeouts themselves (tests/reliability/).
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)
for _cache in CACHES.values():  # noqa: F405
    if "OPTIONS" in _cache:
        _cache["OPTIONS"] = {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT}

# Webhook receivers in tests listen on loopback; retries are driven without waiting.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_RETRY_BASE_SECONDS = 0.0
WEBHOOK_TIMEOUT_SECONDS = 2.0

# Events tests count their own jobs: no in-process consumer unless a test turns one on
# (tests/discord turn on the Discord app's, the production default).
DOMAIN_EVENT_CONSUMERS = list[str]()
