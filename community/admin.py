"""Admin: announcement channels per Discord server; who was seen where; Linked Roles (read-only,
no token is ever shown); the Discord outbox (read-only, failed messages can be sent again)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from community.models import AnnouncementChannel, DiscordLink, DiscordMessage, GuildMember
from core.utils.dates import utc_now


@admin.register(AnnouncementChannel)
class AnnouncementChannelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["guild_id", "name", "target", "level_ups", "layer_ups", "promotions", "season_top", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["guild_id", "name", "channel_id"]

    @admin.display(description="posts to")
    def target(self, obj: AnnouncementChannel) -> str:
        return f"channel {obj.channel_id}" if obj.channel_id else "webhook"


@admin.register(GuildMember)
class GuildMemberAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["guild_id", "user", "first_seen_at"]
    search_fields = ["guild_id", "user__username", "user__discord_id"]
    raw_id_fields = ["user"]


@admin.register(DiscordLink)
class DiscordLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "discord_id", "linked_at", "pushed_at", "revoked_at"]
    search_fields = ["user__username", "discord_id"]
    readonly_fields = (
        "user",
        "discord_id",
        "scope",
        "expires_at",
        "linked_at",
        "pushed_metadata",
        "pushed_at",
        "revoked_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DiscordMessage)
class DiscordMessageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The Discord outbox (docs/events.md "Discord announcements and DMs"), read-only, with the
    action "Send again" for failed messages."""

    list_display = ["id", "kind", "route", "status", "attempts", "last_status_code", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["route", "key"]
    readonly_fields = (
        "kind",
        "key",
        "route",
        "channel",
        "user",
        "body",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "leased_until",
        "sent_at",
        "last_status_code",
        "last_error",
        "request_id",
    )
    fields = readonly_fields
    actions = ["send_again"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Send again (failed messages; a fresh retry window)")
    def send_again(self, request: HttpRequest, queryset: Any) -> None:
        now = utc_now()
        again = queryset.filter(status=DiscordMessage.FAILED).update(
            status=DiscordMessage.PENDING, attempts=0, created_at=now, next_attempt_at=now, leased_until=None
        )
        self.message_user(request, f"{again} message(s) will be sent again.")
