"""Redis-read, database-backed sessions that keep working when Redis is unreachable.

The database is the truth (every write goes there first); Redis is a read cache. Each cache
call is guarded: Redis down, timing out or skipped by its breaker (``ultrabackend/redis.py``)
means the database answers. A cache write or delete that could not reach Redis would leave a
stale copy there (a logged-out session readable again once Redis is back), so it is handed to
the task queue (``core.tasks.forget_cached_session``), which deletes the copy as soon as Redis
answers again.

That repair comes late (after Redis is back and the job ran) and a session deleted or expired
only in PostgreSQL has a live copy in Redis too, so a copy from Redis is never trusted alone:
``served_from_cache`` tells ``api.session_auth`` to load the user only while the session row is
alive in PostgreSQL, in the same query (revocation wins over the cache, whatever the order of
outages).
"""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DBStore

from core.utils.jobs import defer_job

logger = logging.getLogger(__name__)


FORGET_CACHED_SESSION_TASK = "core.tasks.forget_cached_session"


def _forget_later(cache_key: str) -> None:
    try:
        defer_job(FORGET_CACHED_SESSION_TASK, cache_key=cache_key)
    except Exception:  # the database is down too: the request fails on the database anyway
        logger.error("could not queue the removal of a stale cached session", exc_info=True)


class SessionStore(CachedDBStore):
    """cached_db sessions whose cache calls never fail a request; the database stays the truth."""

    served_from_cache = False  # the last load came from Redis (api/session_auth.py checks the row)

    def load(self):  # type: ignore[no-untyped-def]
        self.served_from_cache = False
        try:
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except Exception:  # Redis down: read the database instead.
            logger.warning("session cache unreachable; reading the database")
            data = None
        if data is not None:
            self.served_from_cache = True
            return data
        s = self._get_session_from_db()  # type: ignore[attr-defined]
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))  # type: ignore[attr-defined]
        except Exception:
            logger.warning("session cache unreachable; not caching")
        return data

    def exists(self, session_key):  # type: ignore[no-untyped-def]
        # Called for every new session key (sign-in): the database is the truth, so it alone can
        # answer; a key found only in the cache would also be in the database.
        return DBStore.exists(self, session_key)

    def save(self, must_create=False):  # type: ignore[no-untyped-def]
        DBStore.save(self, must_create)
        try:
            self._cache.set(self.cache_key, self._session, self.get_expiry_age())  # type: ignore[attr-defined]
        except Exception:
            if not must_create:  # a new key has no older copy in Redis to go stale
                logger.warning("session cache unreachable; its copy is removed when Redis is back")
                _forget_later(self.cache_key)

    def delete(self, session_key=None):  # type: ignore[no-untyped-def]
        DBStore.delete(self, session_key)  # the revocation itself
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        cache_key = self.cache_key_prefix + session_key
        try:
            self._cache.delete(cache_key)  # type: ignore[attr-defined]
        except Exception:
            logger.warning("session cache unreachable; its copy is removed when Redis is back")
            _forget_later(cache_key)
