"""Test settings: the database and Redis come from DATABASE_URL / REDIS_URL when set (CI)."""

import os

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests get their own key space in Redis so a developer's running server is not disturbed.
# Each pytest-xdist worker gets its own prefix: one worker emptying its keys never touches another's.
for _cache in CACHES.values():  # noqa: F405
    if "KEY_PREFIX" in _cache:
        _cache["KEY_PREFIX"] = f"igo-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
REST_FRAMEWORK = {**REST_FRAMEWORK}
