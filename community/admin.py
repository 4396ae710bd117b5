"""Admin: announcement channels per Discord server; who was seen where; Linked Roles (read-only,
no token is ever shown)."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from community.models import AnnouncementChannel, DiscordLink, GuildMember


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
