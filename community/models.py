"""Discord community state: announcement channels per server, who was seen in which server, and
the players' Linked Roles authorisations (tokens encrypted at rest, see ultrabackend/crypto.py)."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

SNOWFLAKE_RE = r"^[0-9]{17,20}$"
snowflake = RegexValidator(SNOWFLAKE_RE, "A Discord id is 17 to 20 digits.")
# A channel webhook as Discord shows it ("Copy Webhook URL"); only its id and token are used, the
# host always comes from DISCORD_API_URL (so a typo or a foreign URL is never requested).
WEBHOOK_URL_RE = re.compile(
    r"^https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/([0-9]{17,20})/([A-Za-z0-9_-]{20,100})/?$"
)


class AnnouncementChannel(models.Model):
    """Where one Discord server (guild) hears about level-ups, layer-ups, promotions and the
    season's top 3: a channel the bot posts to, or a channel webhook."""

    guild_id = models.CharField("server (guild) id", max_length=20, unique=True, validators=[snowflake])
    name = models.CharField(max_length=100, blank=True, help_text="A label for admins (the server's name).")
    channel_id = models.CharField(
        max_length=20, blank=True, validators=[snowflake], help_text="Posted to with DISCORD_BOT_TOKEN."
    )
    webhook_url = models.CharField(
        max_length=300, blank=True, help_text="Or a channel webhook URL (Server settings → Integrations → Webhooks)."
    )
    level_ups = models.BooleanField(default=True)
    layer_ups = models.BooleanField(default=True)
    promotions = models.BooleanField(default=True)
    quests = models.BooleanField("completed quests", default=True)
    season_top = models.BooleanField("season's top 3", default=True)
    achievements = models.BooleanField("achievements and streak milestones", default=False)
    boosts = models.BooleanField("XP boosts starting", default=False)
    claims = models.BooleanField("claims held for review and decided", default=False)
    members_only = models.BooleanField(
        default=True,
        help_text="Announce only players who used a command in this server (off: every player).",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["guild_id"]
        constraints = [
            models.CheckConstraint(
                name="community_channel_xor_webhook",
                condition=(Q(channel_id="") & ~Q(webhook_url="")) | (~Q(channel_id="") & Q(webhook_url="")),
            )
        ]

    def __str__(self) -> str:
        return self.name or self.guild_id

    def clean(self) -> None:
        if bool(self.channel_id) == bool(self.webhook_url):
            raise ValidationError("Give either a channel id or a webhook URL (one of them).")
        if self.webhook_url and not WEBHOOK_URL_RE.match(self.webhook_url):
            raise ValidationError({"webhook_url": "Not a Discord channel webhook URL."})

    def webhook_parts(self) -> tuple[str, str] | None:
        match = WEBHOOK_URL_RE.match(self.webhook_url or "")
        return (match.group(1), match.group(2)) if match else None


class GuildMember(models.Model):
    """A player seen using a command in a Discord server (announcements go to their servers)."""

    guild_id = models.CharField(max_length=20, validators=[snowflake])
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="discord_guilds")
    first_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["guild_id", "user"], name="community_guild_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.guild_id}"


class DiscordLink(models.Model):
    """A player's Linked Roles authorisation (scopes role_connections.write identify).

    The tokens are Fernet ciphertext (ultrabackend/crypto.py); nothing here is ever shown in plain."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="discord_link"
    )
    discord_id = models.CharField(max_length=20, validators=[snowflake])
    access_token_encrypted = models.TextField()
    refresh_token_encrypted = models.TextField()
    expires_at = models.DateTimeField()
    scope = models.CharField(max_length=200, blank=True)
    linked_at = models.DateTimeField()
    # What Discord last accepted (a push of the same values is skipped).
    pushed_metadata = models.JSONField(null=True, blank=True)
    pushed_at = models.DateTimeField(null=True, blank=True)
    # Discord refused the refresh token (the player removed the app): they need to link again.
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Linked Roles of {self.user_id}"


class DiscordMessage(models.Model):
    """The Discord outbox: one announcement or DM to send (community/discord_pump.py sends them in
    batches from every worker process, docs/events.md "Discord announcements and DMs").

    ``route`` is Discord's rate-limit route of the message (``channel:<id>``, ``webhook:<id>``,
    ``dm:<discord id>``): a route's messages go out one at a time in ``id`` order, and a 429 on a
    route pauses that route only (``DiscordRateLimit``). ``key`` makes enqueueing idempotent (a
    consumer job that runs twice does not announce twice)."""

    ANNOUNCEMENT, DM = "announcement", "dm"
    PENDING, SENT, FAILED = "pending", "sent", "failed"

    kind = models.CharField(max_length=20, choices=[(ANNOUNCEMENT, "announcement"), (DM, "direct message")])
    key = models.CharField(max_length=200, unique=True)
    route = models.CharField(max_length=60)
    channel = models.ForeignKey(AnnouncementChannel, null=True, blank=True, on_delete=models.CASCADE)
    # The player the message is about (announcements) or written to (DMs); erased with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.CharField("DM recipient's Discord id", max_length=20, blank=True)
    body = models.JSONField()
    status = models.CharField(
        max_length=10, default=PENDING, choices=[(PENDING, "pending"), (SENT, "sent"), (FAILED, "failed")]
    )
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    leased_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        indexes = [
            # the head of each route (DISTINCT ON (route) ... ORDER BY route, id)
            models.Index(fields=["route", "id"], name="discord_message_route_pending", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} to {self.route} ({self.status})"


class DiscordRateLimit(models.Model):
    """Discord's rate-limit state, shared by every worker process: a route (or ``global``, or the
    ``dm`` gate that opening DM channels goes through) paused until ``paused_until``; ``global``
    also counts the requests of the current second (``window_start``, ``used``)."""

    key = models.CharField(max_length=60, primary_key=True)
    paused_until = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    used = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.key
