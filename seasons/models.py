"""Monthly seasons, per-season scores, and the standings kept when a season closes."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.constants.leagues import DEFAULT_LEAGUE, LEAGUE_CHOICES
from core.constants.modes import MODE_CHOICES


class Season(models.Model):
    OPEN, CLOSED = "open", "closed"
    STATUS_CHOICES = [(OPEN, "Open"), (CLOSED, "Closed")]

    id = models.CharField(max_length=7, primary_key=True)  # "YYYY-MM", a UTC calendar month
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()  # exclusive
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.id


class SeasonCohort(models.Model):
    """A group of about COHORT_SIZE players of one league who compete together in one season and
    mode. Filled in order of arrival (core/services/seasons/cohorts.py); closed with the season."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="cohorts")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    league = models.CharField(max_length=10, choices=LEAGUE_CHOICES)
    number = models.IntegerField()  # 1, 2, ... within the season, mode and league
    capacity = models.IntegerField()  # COHORT_SIZE when the cohort opened
    members = models.IntegerField(default=0)  # seats taken (never given back)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)  # its results are stored (season close)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["season", "mode", "league", "number"], name="season_cohort_unique"),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1, members__gte=0, members__lte=models.F("capacity")),
                name="season_cohort_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["season", "mode", "closed_at", "id"], name="season_cohort_close")]

    def __str__(self) -> str:
        return f"{self.season_id} {self.mode} {self.league} #{self.number}"


class SeasonScore(models.Model):
    """A player's XP in one season and mode; changed in the same statement as the ledger."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="season_scores")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="scores")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    xp = models.BigIntegerField(default=0)
    # The league the player competed in this season (their league when the season's first XP came).
    league = models.CharField(max_length=10, choices=LEAGUE_CHOICES, default=DEFAULT_LEAGUE)
    reached_at = models.DateTimeField()  # when the current xp was reached: the tie-breaker
    version = models.BigIntegerField(default=1)  # bumps on every change; guards the Redis index
    # Set right after the season's first XP in the mode (core/services/seasons/cohorts.py).
    cohort = models.ForeignKey(
        SeasonCohort,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scores",
        db_index=False,  # season_cohort_board leads with it
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["season", "mode", "user"], name="season_score_unique"),
        ]
        indexes = [
            models.Index(fields=["season", "mode", "-xp", "reached_at", "user"], name="season_board"),
            models.Index(fields=["season", "mode", "league", "-xp", "reached_at", "user"], name="season_board_league"),
            # Narrow indexes for "how many players have more XP than X" (ranks on the database
            # path): index-only range scans half the size of the board indexes.
            models.Index(fields=["season", "mode", "xp"], name="season_board_xp"),
            models.Index(fields=["season", "mode", "league", "xp"], name="season_board_league_xp"),
            models.Index(fields=["cohort", "-xp", "reached_at", "user"], name="season_cohort_board"),
            # Scores still waiting for a cohort (a first award whose assignment was cut off).
            models.Index(
                fields=["season", "mode", "league", "id"],
                name="season_score_no_cohort",
                condition=models.Q(cohort__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.season_id} {self.mode}: {self.xp}"


class SeasonResult(models.Model):
    """A player's final standing in a closed season and mode, and the league move it caused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="season_results")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="results")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    xp = models.BigIntegerField(default=0)
    # Rank on the board the move was decided on: the cohort (the league board for seasons closed
    # before cohorts); None without XP.
    rank = models.IntegerField(null=True, blank=True)
    cohort = models.ForeignKey(SeasonCohort, null=True, blank=True, on_delete=models.SET_NULL, related_name="results")
    league = models.CharField(max_length=10, choices=LEAGUE_CHOICES)
    new_league = models.CharField(max_length=10, choices=LEAGUE_CHOICES)
    movement = models.CharField(max_length=10, choices=[("up", "up"), ("down", "down"), ("stay", "stay")])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["season", "mode", "user"], name="season_result_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.season_id} {self.mode}: {self.league} -> {self.new_league}"


class SeasonCloseStep(models.Model):
    """One finished unit of closing a season (a league board of a mode, or the players of a
    mode without XP). Each unit commits with its results, so a killed run resumes where it was."""

    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="close_steps")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    step = models.CharField(max_length=20)  # a league, or "inactive"
    players = models.IntegerField(default=0)
    done_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["season", "mode", "step"], name="season_close_step_unique")]

    def __str__(self) -> str:
        return f"{self.season_id} {self.mode} {self.step}"


class RankIndexRepair(models.Model):
    """A board whose Redis index missed a write (Redis was unreachable); until it is rebuilt the
    board is served from the database."""

    season_id = models.CharField(max_length=7)
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    created_at = models.DateTimeField(default=timezone.now)  # the latest missed write

    class Meta:
        constraints = [models.UniqueConstraint(fields=["season_id", "mode"], name="rank_index_repair_unique")]

    def __str__(self) -> str:
        return f"repair {self.season_id} {self.mode}"
