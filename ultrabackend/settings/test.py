"""Test settings: the database and Redis come from DATABASE_URL / REDIS_URL when set (CI)."""

import hashlib
import os

from .base import *  # noqa: F403
from .base import BASE_DIR, REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests get their own key space in Redis so a developer's running server is not disturbed.
# Each pytest-xdist worker of each checkout gets its own prefix: one worker emptying its keys never
# touches another's, even when two checkouts of the project run their suites at once.
_CHECKOUT = hashlib.sha1(str(BASE_DIR).encode(), usedforsecurity=False).hexdigest()[:6]
for _cache in CACHES.values():  # noqa: F405
    if "KEY_PREFIX" in _cache:
        _cache["KEY_PREFIX"] = f"igo-test-{_CHECKOUT}-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
REST_FRAMEWORK = {**REST_FRAMEWORK}

# Webhook receivers in tests listen on loopback; retries are driven without waiting.
WEBHOOK_ALLOW_PRIVATE_TARGETS = True
WEBHOOK_RETRY_BASE_SECONDS = 0.0
WEBHOOK_TIMEOUT_SECONDS = 2.0
