"""The XP ledger and what is derived from it."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.constants.activities import SOURCE_CHOICES
from core.constants.leagues import DEFAULT_LEAGUE, LEAGUE_CHOICES
from core.constants.modes import MODE_CHOICES


class ActivityType(models.Model):
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    unit = models.CharField(max_length=30)
    xp_per_unit = models.DecimalField(max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0"))])
    max_units_per_entry = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    daily_unit_cap = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    # Plausibility (docs/domain.md "Claims"): a self-reported entry of more units than this is
    # held for review as a claim instead of entering the ledger; None: never held for its size.
    review_above = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    is_active = models.BooleanField(default=True)
    # Awarded by the game itself (quest rewards, reviewer rewards): never self-reported, not in the
    # public catalogue; only trusted awards (``award_xp(trusted=True)``) may use it.
    system = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["mode", "key"]

    def __str__(self) -> str:
        return self.name


class UserProfile(models.Model):
    """Totals derived from the ledger; always equal to its sums (kept in the ledger's statement)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    total_xp = models.BigIntegerField(default=0)
    reality_xp = models.BigIntegerField(default=0)
    cyber_xp = models.BigIntegerField(default=0)
    level = models.IntegerField(default=1)
    reality_league = models.CharField(max_length=10, choices=LEAGUE_CHOICES, default=DEFAULT_LEAGUE)
    cyber_league = models.CharField(max_length=10, choices=LEAGUE_CHOICES, default=DEFAULT_LEAGUE)
    updated_at = models.DateTimeField(auto_now=True)
    # The player's write quota (the player_write rate limit, api/throttling.py): writes counted in
    # the fixed window numbered ``write_window`` (unix time // window length). Kept on this row
    # because every award already locks and updates it: xp/add counts itself inside its own
    # statement (core/services/xp/store.py) at no extra cost.
    write_window = models.BigIntegerField(db_default=0)
    write_count = models.IntegerField(db_default=0)
    # Streak gate (achievements app, docs/domain.md "Streaks"): the player's last local day with
    # an award per mode, and the value it had before the latest award. The award statement sets
    # both, so "first award of the local day" (prev != active) costs no extra query.
    reality_active_day = models.DateField(null=True, blank=True)
    reality_prev_day = models.DateField(null=True, blank=True)
    cyber_active_day = models.DateField(null=True, blank=True)
    cyber_prev_day = models.DateField(null=True, blank=True)
    # Award entries (not corrections) in the ledger; counted by the award statement (achievements).
    entries_count = models.BigIntegerField(db_default=0)
    # Quests the player takes part in that are still open (active or awaiting review): the
    # award statement returns it, so an award of a player without one costs nothing more
    # (quests/services/progress.py). Kept by the quest services in the same transactions.
    open_quests = models.IntegerField(db_default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(write_count__gte=0), name="xp_profile_write_count_not_negative"),
            models.CheckConstraint(condition=models.Q(open_quests__gte=0), name="xp_profile_open_quests_not_negative"),
        ]
        # The all-time boards (lifetime XP per mode): pages and "players ahead of me" counts.
        indexes = [
            models.Index(fields=["-reality_xp", "user"], name="profile_all_time_reality"),
            models.Index(fields=["-cyber_xp", "user"], name="profile_all_time_cyber"),
        ]

    def __str__(self) -> str:
        return f"profile of {self.user_id}"

    def mode_xp(self, mode: str) -> int:
        return int(getattr(self, f"{mode}_xp"))

    def league(self, mode: str) -> str:
        return str(getattr(self, f"{mode}_league"))


class XPEntry(models.Model):
    """One append-only ledger row. Never updated or deleted; a correction is a new row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="xp_entries")
    activity = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="entries")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    units = models.DecimalField(max_digits=12, decimal_places=2)
    xp = models.BigIntegerField()
    source = models.CharField(max_length=10, choices=SOURCE_CHOICES)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        "users.ServiceAPIKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    corrects = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="correction")
    reason = models.TextField(blank=True)
    # The season the XP counts toward (a correction counts toward the corrected entry's season).
    season = models.ForeignKey("seasons.Season", on_delete=models.PROTECT, related_name="+")
    # The player's totals right after this entry: a running balance that makes every answer
    # (level up, layer up) reproducible for a retried request.
    total_xp_after = models.BigIntegerField()
    mode_xp_after = models.BigIntegerField()
    created_at = models.DateTimeField(db_index=True)
    # XP before a boost and the boost's multiplier (xp = floor(base_xp x multiplier)); corrections
    # carry the corrected entry's, negated. NULL base_xp: written before boosts existed (= xp).
    base_xp = models.BigIntegerField(null=True, blank=True)
    multiplier = models.DecimalField(max_digits=6, decimal_places=3, db_default=Decimal("1"))
    # The player's local day (their time zone when written): the day a streak counts it on.
    local_day = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = "XP entry"
        verbose_name_plural = "XP entries"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at", "-id"], name="xp_entry_user_recent")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="xp_entry_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(reason=""), name="xp_entry_correction_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.xp:+d} XP {self.activity_id} for {self.user_id}"


class DailyUsage(models.Model):
    """Units a player logged per activity per UTC day; the CHECK makes the daily cap race-free."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey(ActivityType, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    units = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    cap = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "activity", "day"], name="xp_daily_usage_unique"),
            models.CheckConstraint(
                condition=Q(cap__isnull=True) | Q(units__lte=models.F("cap")), name="xp_daily_usage_within_cap"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.units} of {self.activity_id} on {self.day} by {self.user_id}"


class Level(models.Model):
    """The level curve as a table, so the database computes a level inside the write statement.

    Filled from core.constants.levels by a migration; a test keeps the two identical.
    """

    level = models.IntegerField(primary_key=True)
    min_xp = models.BigIntegerField(unique=True)

    class Meta:
        ordering = ["level"]

    def __str__(self) -> str:
        return f"level {self.level} at {self.min_xp} XP"
