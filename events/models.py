"""Domain events (facts recorded in the transaction that caused them) and webhook subscriptions.

A DomainEvent row exists if and only if the change it tells of committed: it is written by the
same statement (awards) or transaction (season close, event join/leave, corrections). Its fan-out
(webhook deliveries, in-process consumers) is a procrastinate job committed with it.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone

from ultrabackend import crypto

# Every type an event can have (docs/events.md lists the data of each).
LEVEL_UP = "level_up"
LAYER_UP = "layer_up"
LAYER_DOWN = "layer_down"
LEAGUE_CHANGED = "league_changed"
SEASON_CLOSED = "season_closed"
EVENT_JOINED = "event_joined"
EVENT_LEFT = "event_left"
XP_AWARDED = "xp_awarded"
CORRECTION = "correction"
ACHIEVEMENT_UNLOCKED = "achievement_unlocked"
STREAK_MILESTONE = "streak_milestone"
STREAK_LOST = "streak_lost"
BOOST_STARTED = "boost_started"
CLAIM_SUBMITTED = "claim_submitted"
CLAIM_DECIDED = "claim_decided"
QUEST_COMPLETED = "quest_completed"
QUEST_FAILED = "quest_failed"
EVENT_TYPES = (
    LEVEL_UP,
    LAYER_UP,
    LAYER_DOWN,
    LEAGUE_CHANGED,
    SEASON_CLOSED,
    EVENT_JOINED,
    EVENT_LEFT,
    XP_AWARDED,
    CORRECTION,
    ACHIEVEMENT_UNLOCKED,
    STREAK_MILESTONE,
    STREAK_LOST,
    BOOST_STARTED,
    CLAIM_SUBMITTED,
    CLAIM_DECIDED,
    QUEST_COMPLETED,
    QUEST_FAILED,
)
# Recorded only while someone subscribes to it (one per award: the volume one).
OPT_IN_TYPES = (XP_AWARDED,)


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_encrypted_webhook_secret() -> str:
    """A fresh secret, encrypted at rest like every other token (ultrabackend/crypto.py)."""

    return crypto.encrypt(new_webhook_secret())


class DomainEvent(models.Model):
    type = models.CharField(max_length=32, choices=[(t, t) for t in EVENT_TYPES])
    # The player the event is about (None for season-wide events such as season_closed).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # 1, 2, 3, ... per player in commit order of that player's changes (None without a player).
    sequence = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)  # the facts; the user block is added when delivered
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)  # fanned out to deliveries and consumers
    # The X-Request-ID of the request that caused it (blank: a job, a command): the log lines of
    # its fan-out and deliveries carry it (docs/operations.md).
    request_id = models.CharField(max_length=128, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["user", "sequence"], name="domain_event_user_sequence")]
        indexes = [
            models.Index(fields=["type", "-id"], name="domain_event_type"),
            # what a dispatch job reads: the player's events not fanned out yet
            models.Index(
                fields=["user", "sequence"],
                name="domain_event_undispatched",
                condition=models.Q(dispatched_at__isnull=True),
            ),
            # what the pump's fan-out claims, oldest first
            models.Index(
                fields=["id"], name="domain_event_to_dispatch", condition=models.Q(dispatched_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"

    @property
    def message_id(self) -> str:
        """The ``webhook-id``: one per event, the same for every endpoint and every retry."""
        return f"msg_{self.pk}"


class PlayerEventSequence(models.Model):
    """The last sequence number handed out per player. Its row lock (taken by an upsert that
    re-reads the latest committed row) orders two writers of the same player."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    last = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"player {self.user_id}: {self.last}"


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, help_text='e.g. ["level_up", "layer_up"]')
    description = models.CharField(max_length=200, blank=True)
    # The signing secret, encrypted with FIELD_ENCRYPTION_KEY (``secret`` reads and sets it).
    secret_encrypted = models.TextField(default=new_encrypted_webhook_secret)
    is_active = models.BooleanField(default=True)
    # Set by the delivery when every delivery failed for WEBHOOK_DISABLE_AFTER_SECONDS.
    disabled_at = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)  # first failure after the last success
    # A 429 (or 503) with Retry-After pauses this endpoint only, until then (events/pump.py).
    paused_until = models.DateTimeField(null=True, blank=True, db_default=None)
    # The service key that created it through the API (None: admin or create_webhook).
    owner_key = models.ForeignKey(
        "users.ServiceAPIKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="webhooks"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        """The ``whsec_`` secret in clear (raises ultrabackend.crypto.DecryptionFailed with a wrong key)."""

        return crypto.decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:

        self.secret_encrypted = crypto.encrypt(value)

    @property
    def is_disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def receives(self) -> bool:
        return self.is_active and self.disabled_at is None


class WebhookDelivery(models.Model):
    PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
    STATUS_CHOICES = [(PENDING, "pending"), (SUCCEEDED, "succeeded"), (FAILED, "failed")]

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(DomainEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.IntegerField(default=0)
    last_status_code = models.IntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)  # retries stop WEBHOOK_RETRY_FOR_SECONDS after it
    # Claimed by the delivery pump (events/pump.py): the next try is due at next_attempt_at; a
    # worker that claimed it holds it until leased_until (killed: another one takes it after).
    next_attempt_at = models.DateTimeField(default=timezone.now, db_default=Now())
    leased_until = models.DateTimeField(null=True, blank=True)
    # Order key, copied from the event: the player (0: season-wide) and the player's sequence
    # (the event id for season-wide events). One endpoint gets one player's events in this order.
    player = models.BigIntegerField(default=0, db_default=0)
    seq = models.BigIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_unique")]
        indexes = [
            # what the metrics count per endpoint, and what the delivery batches claim
            models.Index(
                fields=["endpoint", "id"], name="webhook_delivery_pending", condition=models.Q(status="pending")
            ),
            # the pump's claim: due deliveries, and the earlier pending one of the same player
            models.Index(
                fields=["next_attempt_at", "id"], name="webhook_delivery_due", condition=models.Q(status="pending")
            ),
            models.Index(
                fields=["endpoint", "player", "seq"],
                name="webhook_delivery_order",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class IndexWatermark(models.Model):
    """How far the periodic re-index of changed season scores has read the ledger."""

    name = models.CharField(max_length=50, primary_key=True)
    last_entry_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name}: entry {self.last_entry_id}"
