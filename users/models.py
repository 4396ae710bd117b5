"""Accounts: players (with their Discord identity) and the API keys services use."""

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models.functions import Coalesce, Lower, NullIf
from rest_framework_api_key.models import AbstractAPIKey

from xp.models import UserProfile


class PlayerManager(UserManager["CustomUser"]):
    """Every account is created with its UserProfile, in one transaction."""

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def,override]

        with transaction.atomic():
            user = super()._create_user(username, email, password, **extra_fields)  # type: ignore[misc]
            UserProfile.objects.get_or_create(user=user)
        return user


class NormalizeNFKC(models.Func):
    """PostgreSQL's ``normalize(text, NFKC)``: "Ｋｅｎ" and "Ken" become the same text."""

    template = "normalize(%(expressions)s, NFKC)"
    output_field = models.TextField()


def name_key(expression: Any) -> Lower:
    """What makes two shown names the same name: NFKC, then case-insensitive (docs/domain.md)."""
    return Lower(NormalizeNFKC(expression))


def shown_name_key() -> Lower:
    """The key of the name a player is shown under (their display name, else their username)."""
    return name_key(Coalesce(NullIf(models.F("display_name"), models.Value("")), models.F("username")))


SHOWN_NAME_CONSTRAINT = "users_shown_name_unique"


class CustomUser(AbstractUser):
    # A Discord snowflake (17-20 digits); unique when set, NULL for accounts without Discord.
    discord_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=500, blank=True)
    # The player chose their display name (PATCH /api/v1/user/profile/): a Discord sign-in no
    # longer overwrites it with the Discord global name.
    display_name_chosen = models.BooleanField(default=False)
    # Set when the player erased their account (DELETE /api/v1/user/): personal data is gone,
    # the ledger and season results stay under this pseudonymous row.
    erased_at = models.DateTimeField(null=True, blank=True)
    # The player shows on public pages (community pages, rank card); PATCH /api/v1/user/profile/
    # ``public: false`` hides them from every one of them (docs/domain.md, "Public pages").
    public = models.BooleanField(default=True, db_default=True)
    # IANA time zone name (PATCH /api/v1/user/profile/): the player's local day for streaks.
    # Caps and seasons stay on UTC.
    timezone = models.CharField(max_length=64, db_default="UTC", default="UTC")
    # Opted in to a Discord DM a few hours before a streak would be lost (achievements.tasks).
    streak_reminders = models.BooleanField(db_default=False, default=False)

    objects = PlayerManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        # The all-time boards leave deactivated and erased accounts out: a tiny partial index finds them.
        # The community page's name search has two more indexes, made in SQL by migration
        # users/0003: user_display_name_prefix and user_username_prefix on (UPPER(col) COLLATE
        # "C"), so a prefix match is an index range read in order at any database collation.
        indexes = [models.Index(fields=["id"], condition=models.Q(is_active=False), name="user_inactive")]
        # No two players are shown under the same name (case-insensitively, after NFKC); erased
        # accounts keep no name.
        constraints = [
            models.UniqueConstraint(
                shown_name_key(), name=SHOWN_NAME_CONSTRAINT, condition=models.Q(erased_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def public_name(self) -> str:
        return self.display_name or self.username


# What a service key may be allowed to do (api/permissions.py checks them per endpoint).
SCOPES = ("xp:write", "profile:read", "webhooks:manage", "claims:moderate")


class ServiceAPIKey(AbstractAPIKey):
    """A revocable, hashed key for a service (the Discord bot) with explicit scopes."""

    scopes = models.JSONField(default=list, blank=True, help_text='e.g. ["xp:write", "profile:read"]')

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "service API key"
        verbose_name_plural = "service API keys"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])
