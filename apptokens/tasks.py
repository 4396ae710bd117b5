"""Housekeeping of the used-refresh-token store (run by `manage.py procrastinate worker`)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from apptokens.models import UsedRefreshToken
from core.utils.dates import utc_now


@app.periodic(cron="23 4 * * *", periodic_id="purge_used_refresh_tokens")
@app.task(queue="maintenance", queueing_lock="purge_used_refresh_tokens", pass_context=False)
def purge_used_refresh_tokens(timestamp: int) -> int:
    """Forget used refresh tokens that have expired (an expired token is refused by its own
    ``exp``). Daily; returns rows deleted."""
    deleted, _ = UsedRefreshToken.objects.filter(expires_at__lt=utc_now()).delete()
    return deleted
