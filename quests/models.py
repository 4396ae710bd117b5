"""Quests: a player's own goals and community challenges, and who takes part in them.

Progress is never stored as a number to trust: it is derived from the ledger (docs/domain.md,
"Quests"). A participation keeps its state (active, pending review, completed, failed,
abandoned) and, once paid, the ledger entry of its reward.
"""

from django.conf import settings
from django.db import models

from core.constants.layers import BY_CODE
from core.constants.modes import CYBER, MODE_CHOICES, REALITY


class Quest(models.Model):
    GOAL, CHALLENGE = "goal", "challenge"
    KIND_CHOICES = [(GOAL, "Goal"), (CHALLENGE, "Challenge")]
    LAYER_CHOICES = [(code, f"{code} {layer.name}") for code, layer in BY_CODE.items()]

    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    # None: any (reportable) activity of the mode counts, and ``target`` is XP.
    activity = models.ForeignKey(
        "xp.ActivityType", null=True, blank=True, on_delete=models.PROTECT, related_name="quests"
    )
    target = models.DecimalField(max_digits=14, decimal_places=2, help_text="Units of the activity, or XP without one.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reward_xp = models.PositiveIntegerField(default=0)
    proof_required = models.BooleanField(default=False)
    # A goal's player (a challenge has none).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="goals"
    )
    # Challenges only: the layer a player needs to join (blank: anyone), as for events.
    required_layer = models.CharField(max_length=5, choices=LAYER_CHOICES, blank=True)
    # A challenge may be the objective of an event or dungeon: joining the event joins it.
    event = models.OneToOneField(
        "layers.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="challenge"
    )
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["ends_at", "id"]
        indexes = [models.Index(fields=["kind", "is_published", "ends_at"], name="quest_listing")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="quest_window_valid"),
            models.CheckConstraint(condition=models.Q(target__gt=0), name="quest_target_positive"),
            models.CheckConstraint(
                condition=models.Q(kind="goal", owner__isnull=False, event__isnull=True, required_layer="")
                | models.Q(kind="challenge", owner__isnull=True),
                name="quest_kind_owner",
                violation_error_message="A goal has its player (no event, no layer); a challenge has none.",
            ),
            models.CheckConstraint(
                condition=models.Q(required_layer="")
                | models.Q(mode=REALITY, required_layer__startswith="RL")
                | models.Q(mode=CYBER, required_layer__startswith="CL"),
                name="quest_layer_matches_mode",
                violation_error_message="The required layer must be on the ladder of the quest's mode.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.title}"


class QuestParticipation(models.Model):
    ACTIVE, PENDING_REVIEW, COMPLETED, FAILED, ABANDONED = (
        "active",
        "pending_review",
        "completed",
        "failed",
        "abandoned",
    )
    STATE_CHOICES = [(s, s.replace("_", " ")) for s in (ACTIVE, PENDING_REVIEW, COMPLETED, FAILED, ABANDONED)]
    # States that still count in UserProfile.open_quests (the award path's gate).
    OPEN_STATES = (ACTIVE, PENDING_REVIEW)

    quest = models.ForeignKey(Quest, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quest_participations")
    joined_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=ACTIVE)
    # When the ledger first showed the target reached (completion or review requested).
    reached_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reward_entry = models.OneToOneField(
        "xp.XPEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A proof-required completion's review: who decided and why.
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["quest", "user"], name="quest_participation_unique"),
            models.CheckConstraint(
                condition=~models.Q(state="completed") | models.Q(finished_at__isnull=False),
                name="quest_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["user", "state"], name="quest_participation_open")]

    def __str__(self) -> str:
        return f"user {self.user_id} in quest {self.quest_id} ({self.state})"
