"""The activity catalogue held in this process for the xp/add hot path.

Never trusted on its own: a checked write (``core.services.xp.store.write_checked_entry``)
verifies inside its own statement that the activity row still has the rules the request was
validated against, and a write that finds it changed forgets this copy. So an admin's change
takes effect at once in every worker; this copy only saves a query per request. Nothing here
is needed between requests: a new process simply loads it on first use.
"""

from __future__ import annotations

import time

from xp.models import ActivityType

# A key not in the catalogue reloads it at most this often (a client sending unknown keys
# must not turn every request into a catalogue load; the full path answers them).
RELOAD_AT_MOST_EVERY_SECONDS = 1.0

_catalogue: dict[str, ActivityType] = {}
_loaded_at = float("-inf")


def cached_activity(key: str) -> ActivityType | None:
    """The activity ``key`` as last loaded in this process (None: unknown here)."""
    global _catalogue, _loaded_at
    activity = _catalogue.get(key)
    if activity is None and time.monotonic() - _loaded_at >= RELOAD_AT_MOST_EVERY_SECONDS:
        _catalogue = {a.key: a for a in ActivityType.objects.all()}
        _loaded_at = time.monotonic()
        activity = _catalogue.get(key)
    return activity


def forget_catalogue() -> None:
    """Drop this process's copy: the next look-up loads the catalogue again."""
    global _catalogue, _loaded_at
    _catalogue, _loaded_at = {}, float("-inf")
