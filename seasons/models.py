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
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.season_id} {self.mode}: {self.xp}"


class SeasonResult(models.Model):
    """A player's final standing in a closed season and mode, and the league move it caused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="season_results")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="results")
    mode = models.CharField(max_length=10, choices=MODE_CHOICES)
    xp = models.BigIntegerField(default=0)
    rank = models.IntegerField(null=True, blank=True)  # rank within the league board; None without XP
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
