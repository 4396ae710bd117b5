"""The used-refresh-token store (a refresh token works once: docs/auth.md).

Kept in PostgreSQL, not Redis: a refresh or a logout must work while Redis is down, and a token
used while Redis was up must stay used while it is down (a Redis copy could not promise that).
A refresh is rare (one per app session every 15 minutes), so one indexed insert is cheap.
"""

from django.db import models


class UsedRefreshToken(models.Model):
    jti = models.CharField(max_length=64, primary_key=True)
    # When the token would have expired anyway: the row can go after that (purge_used_refresh_tokens).
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "used refresh token"

    def __str__(self) -> str:
        return self.jti
