"""Redis-read, database-backed sessions that keep working when Redis is unreachable."""

import logging

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

logger = logging.getLogger(__name__)


class SessionStore(CachedDBStore):
    """cached_db sessions whose cache writes never fail a request; the database stays the truth."""

    def load(self):  # type: ignore[no-untyped-def]
        try:
            data = self._cache.get(self.cache_key)  # type: ignore[attr-defined]
        except Exception:  # Redis down: read the database instead.
            logger.warning("session cache unreachable; reading the database", exc_info=True)
            data = None
        if data is not None:
            return data
        s = self._get_session_from_db()  # type: ignore[attr-defined]
        if not s:
            return {}
        data = self.decode(s.session_data)
        try:
            self._cache.set(self.cache_key, data, self.get_expiry_age(expiry=s.expire_date))  # type: ignore[attr-defined]
        except Exception:
            logger.warning("session cache unreachable; not caching", exc_info=True)
        return data

    def delete(self, session_key=None):  # type: ignore[no-untyped-def]
        try:
            super().delete(session_key)
        except Exception:
            # The cache delete failed: still revoke in the database (the source of truth).
            from django.contrib.sessions.backends.db import SessionStore as DBStore

            DBStore.delete(self, session_key)
