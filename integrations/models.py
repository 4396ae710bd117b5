"""Outside services linked to a player: Strava connections and the activities imported from them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ultrabackend import crypto


class StravaConnection(models.Model):
    """One Strava athlete linked to one player. Tokens are stored encrypted (ultrabackend/crypto.py);
    disconnecting deletes the row, so nothing of the tokens is kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strava_connection")
    athlete_id = models.BigIntegerField(unique=True)
    access_token_encrypted = models.TextField()
    refresh_token_encrypted = models.TextField()
    expires_at = models.DateTimeField()
    scope = models.CharField(max_length=200, blank=True)
    connected_at = models.DateTimeField()
    # The one-time import of the last 7 days (POST .../backfill/), once per connection.
    backfill_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "Strava connection"

    def __str__(self) -> str:
        return f"Strava athlete {self.athlete_id} → user {self.user_id}"

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted)

    def set_tokens(self, *, access_token: str, refresh_token: str) -> None:
        self.access_token_encrypted = crypto.encrypt(access_token)
        self.refresh_token_encrypted = crypto.encrypt(refresh_token)


class StravaActivity(models.Model):
    """What became of one Strava activity (the import record the player and the admins see)."""

    class State(models.TextChoices):
        AWARDED = "awarded"
        IGNORED = "ignored"  # a sport that earns no XP (or deleted before anything was awarded)
        HELD = "held"  # waiting for an admin: implausible speed or a manual entry
        REJECTED = "rejected"  # an admin refused it (reason recorded)
        REFUSED = "refused"  # award_xp refused it (daily cap, per-entry maximum...): reason_code
        REVERSED = "reversed"  # deleted at Strava: its XP was corrected away

    strava_id = models.BigIntegerField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strava_activities")
    athlete_id = models.BigIntegerField()
    name = models.CharField(max_length=255, blank=True)
    sport_type = models.CharField(max_length=50, blank=True)
    activity_key = models.CharField(max_length=50, blank=True)  # catalogue key; blank when ignored
    distance_m = models.DecimalField(max_digits=12, decimal_places=1)
    moving_time_s = models.IntegerField()
    manual = models.BooleanField(default=False)
    start_date = models.DateTimeField(null=True, blank=True)
    units = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    reason_code = models.CharField(max_length=50, blank=True)  # why held / refused / ignored
    # Each change of sport or distance is a new revision with its own Idempotency-Key:
    # revision 0 → "strava:<id>", revision n → "strava:<id>:r<n>".
    revision = models.IntegerField(default=0)
    entry = models.ForeignKey(
        "xp.XPEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the ledger entry of the latest award (corrected when state is reversed)
    xp = models.BigIntegerField(default=0)  # XP this activity holds now (0 unless awarded)
    review_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = "Strava activity"
        verbose_name_plural = "Strava activities"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="strava_activity_user_recent"),
            models.Index(fields=["state"], name="strava_activity_held", condition=Q(state="held")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="rejected") | ~Q(review_reason=""), name="strava_rejection_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Strava activity {self.strava_id} ({self.state})"

    @property
    def idempotency_key(self) -> str:
        return idempotency_key_for(self.strava_id, self.revision)


def idempotency_key_for(strava_id: int, revision: int) -> str:
    return f"strava:{strava_id}" if revision == 0 else f"strava:{strava_id}:r{revision}"
