"""Reasons to come back: streaks (with freezes), achievements as data, season trophies, XP boosts.

None of these award XP: achievements and trophies are recognition; a boost only multiplies the XP
an award already earns (docs/domain.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.constants.leagues import LEAGUE_CHOICES
from core.constants.modes import MODE_CHOICES

TIERS = ("bronze", "silver", "gold")
TIER_CHOICES = [(t, t) for t in TIERS]

# The fixed set of rule kinds (docs/domain.md "Achievements").
TOTAL_XP, LEVEL, LAYER, STREAK, ACTIVITY_UNITS, ENTRIES, QUESTS, REVIEWS, SEASON_RANK, SEASON_LEAGUE = (
    "total_xp",
    "level",
    "layer",
    "streak",
    "activity_units",
    "entries",
    "quests_completed",
    "reviews_matched",
    "season_rank",
    "season_league",
)
KINDS = (TOTAL_XP, LEVEL, LAYER, STREAK, ACTIVITY_UNITS, ENTRIES, QUESTS, REVIEWS, SEASON_RANK, SEASON_LEAGUE)
# Kinds met when the player's value is at most the threshold (a rank); the others: at least.
AT_MOST_KINDS = frozenset({SEASON_RANK})


class Achievement(models.Model):
    """One achievement: a rule of a fixed kind with up to three tier thresholds.

    Thresholds by kind: XP, a level, a layer's order in its ladder (``mode`` required), streak
    days (``mode`` blank: either mode), units of ``activity_key``, entries, quests, matched
    reviews, a final league-board rank at most N (``mode`` blank: either), a league's order
    (bronze 1 ... ultra 6) reached at a season close."""

    key = models.SlugField(max_length=50, unique=True)
    name_en = models.CharField(max_length=100)
    name_de = models.CharField(max_length=100, blank=True)
    description_en = models.CharField(max_length=300, blank=True)
    description_de = models.CharField(max_length=300, blank=True)
    icon = models.CharField(max_length=50, blank=True, help_text="An icon name the clients know.")
    secret = models.BooleanField(default=False, help_text="Hidden from the catalogue until unlocked.")
    kind = models.CharField(max_length=20, choices=[(k, k) for k in KINDS])
    mode = models.CharField(max_length=10, choices=MODE_CHOICES, blank=True)
    activity_key = models.SlugField(max_length=50, blank=True, help_text="activity_units only.")
    bronze = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    silver = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    gold = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    position = models.IntegerField(default=0, help_text="Order in the catalogue.")
    created_at = models.DateTimeField(auto_now_add=True)
    # The retroactive grant (a resumable job over the players): the last user id done, and when
    # it finished (NULL: not finished yet).
    granted_through = models.BigIntegerField(default=0)
    granted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.CheckConstraint(condition=Q(bronze__gt=0), name="achievement_bronze_positive"),
            models.CheckConstraint(condition=~Q(kind="layer") | ~Q(mode=""), name="achievement_layer_names_mode"),
            models.CheckConstraint(
                condition=~Q(kind="activity_units") | ~Q(activity_key=""), name="achievement_units_names_activity"
            ),
        ]

    def __str__(self) -> str:
        return self.key

    def thresholds(self) -> list[tuple[str, Decimal]]:
        return [
            (tier, value)
            for tier, value in zip(TIERS, (self.bronze, self.silver, self.gold), strict=True)
            if value is not None
        ]


class AchievementUnlock(models.Model):
    """A tier a player unlocked, once (the unique key makes racing awards unlock it once)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="achievement_unlocks")
    achievement = models.ForeignKey(Achievement, on_delete=models.CASCADE, related_name="unlocks")
    tier = models.CharField(max_length=10, choices=TIER_CHOICES)
    unlocked_at = models.DateTimeField()
    # The award that unlocked it (NULL: granted by the retroactive job or at a season close).
    entry = models.ForeignKey("xp.XPEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-unlocked_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "achievement", "tier"], name="achievement_unlock_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.achievement_id} {self.tier}"


class SeasonTrophy(models.Model):
    """A top-3 finish in a closed season: on a mode's whole board (``league`` blank) or a league's."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="season_trophies")
    season = models.ForeignKey("seasons.Season", on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    league = models.CharField(max_length=10, choices=LEAGUE_CHOICES, blank=True)
    rank = models.IntegerField(validators=[MinValueValidator(1), MaxValueValidator(3)])
    xp = models.BigIntegerField()
    awarded_at = models.DateTimeField()

    class Meta:
        ordering = ["-season_id", "mode", "league", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["season", "mode", "league", "user"], name="season_trophy_once"),
            models.CheckConstraint(condition=Q(rank__gte=1, rank__lte=3), name="season_trophy_podium"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.season_id} {self.mode} {self.league or 'all'} #{self.rank}"


class XPBoost(models.Model):
    """A scheduled XP multiplier: in [starts_at, ends_at) awards in its scope earn
    floor(base XP x multiplier). Scope: an activity, or a mode (optionally only players in one
    layer of that mode), or everything (no scope). Overlapping boosts do not stack: the largest
    multiplier applies."""

    name = models.CharField(max_length=100)
    multiplier = models.DecimalField(
        max_digits=6, decimal_places=3, validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("10"))]
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    mode = models.CharField(max_length=10, choices=MODE_CHOICES, blank=True)
    activity = models.ForeignKey("xp.ActivityType", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    layer = models.IntegerField(
        null=True, blank=True, help_text="Order of a layer in ``mode``'s ladder (0 = the first): only its players."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    announced_at = models.DateTimeField(null=True, blank=True)  # boost_started recorded

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = "XP boost"
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="xp_boost_window"),
            models.CheckConstraint(
                condition=Q(multiplier__gte=1, multiplier__lte=10), name="xp_boost_multiplier_range"
            ),
            models.CheckConstraint(
                condition=Q(activity__isnull=True) | (Q(mode="") & Q(layer__isnull=True)),
                name="xp_boost_one_scope",
            ),
            models.CheckConstraint(condition=Q(layer__isnull=True) | ~Q(mode=""), name="xp_boost_layer_names_mode"),
        ]

    def __str__(self) -> str:
        return f"{self.name} x{self.multiplier}"


class StreakState(models.Model):
    """A player's streak in a mode, as of ``last_day`` (the last local day covered, by an award
    or a freeze). Derived from the ledger's local days and the freezes spent ahead
    (``manage.py rebuild_streaks`` recomputes it)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="streaks")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    current = models.IntegerField(default=0)
    longest = models.IntegerField(default=0)
    freezes = models.IntegerField(default=0)
    last_day = models.DateField(null=True, blank=True)
    last_active_day = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    reminded_for = models.DateTimeField(null=True, blank=True)  # the ends_at a reminder DM was sent for

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "mode"], name="streak_state_once"),
            models.CheckConstraint(condition=Q(freezes__gte=0, freezes__lte=2), name="streak_freezes_range"),
            models.CheckConstraint(condition=Q(current__gte=0, longest__gte=models.F("current")), name="streak_counts"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.mode}: {self.current}"


class StreakFreeze(models.Model):
    """A freeze a player spent ahead (POST /user/streaks/{mode}/freeze/) on ``day``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    day = models.DateField()
    spent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "mode", "day"], name="streak_freeze_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.mode} {self.day}"
