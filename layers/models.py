"""Per-player layer status in each mode, its history, and the layer-gated events."""

from django.conf import settings
from django.db import models

from core.constants.layers import BY_CODE, LADDERS
from core.constants.modes import CYBER, MODE_CHOICES, REALITY


class LayerStatus(models.Model):
    """The player's current layer in one mode (order on the ladder); a missing row means layer 0."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    layer = models.SmallIntegerField(default=0)
    reached_at = models.DateTimeField()

    MODE: str

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.MODE} layer {self.layer} of user {self.user_id}"

    @property
    def code(self) -> str:
        return LADDERS[self.MODE][self.layer].code


class RealityLayerStatus(LayerStatus):
    MODE = REALITY

    class Meta:
        verbose_name = "reality layer status"
        verbose_name_plural = "reality layer statuses"


class CyberLayerStatus(LayerStatus):
    MODE = CYBER

    class Meta:
        verbose_name = "cyber layer status"
        verbose_name_plural = "cyber layer statuses"


class LayerChange(models.Model):
    """Every layer move: from, to, when, and the ledger entry that caused it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="layer_changes")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    from_layer = models.SmallIntegerField()
    to_layer = models.SmallIntegerField()
    entry = models.ForeignKey("xp.XPEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=30, default="xp")  # xp | correction | recompute
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "mode", "-created_at"], name="layer_change_user")]

    def __str__(self) -> str:
        return f"{self.mode} {self.from_layer} -> {self.to_layer} of user {self.user_id} ({self.reason})"


class Event(models.Model):
    EVENT, DUNGEON = "event", "dungeon"
    KIND_CHOICES = [(EVENT, "Event"), (DUNGEON, "Dungeon")]
    LAYER_CHOICES = [(code, f"{code} {layer.name}") for code, layer in BY_CODE.items()]

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=EVENT)
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    required_layer = models.CharField(max_length=5, choices=LAYER_CHOICES)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(null=True, blank=True)
    participant_count = models.PositiveIntegerField(default=0, editable=False)
    description = models.TextField(blank=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        # The public list: published events that have not ended yet.
        indexes = [models.Index(fields=["is_published", "ends_at"], name="event_listing")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="event_window_valid"),
            # The required layer is on the event's own ladder (no "cyber event, RL2").
            models.CheckConstraint(
                condition=models.Q(mode=REALITY, required_layer__startswith="RL")
                | models.Q(mode=CYBER, required_layer__startswith="CL"),
                name="event_layer_matches_mode",
                violation_error_message="The required layer must be on the ladder of the event's mode.",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gt=0),
                name="event_capacity_positive",
                violation_error_message="Capacity must be at least 1 (leave it empty for no limit).",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class EventParticipation(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_participations")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "user"], name="event_participation_unique")]

    def __str__(self) -> str:
        return f"user {self.user_id} in event {self.event_id}"
