"""Accounts: players (with their Discord identity) and the API keys services use."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from rest_framework_api_key.models import AbstractAPIKey


class PlayerManager(UserManager["CustomUser"]):
    """Every account is created with its UserProfile, in one transaction."""

    def _create_user(self, username, email, password, **extra_fields):  # type: ignore[no-untyped-def,override]
        from xp.models import UserProfile

        with transaction.atomic():
            user = super()._create_user(username, email, password, **extra_fields)  # type: ignore[misc]
            UserProfile.objects.get_or_create(user=user)
        return user


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

    objects = PlayerManager()  # type: ignore[misc]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        # The all-time boards leave deactivated and erased accounts out: a tiny partial index finds them.
        indexes = [models.Index(fields=["id"], condition=models.Q(is_active=False), name="user_inactive")]

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
