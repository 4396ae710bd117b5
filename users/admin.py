from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin

from xp.models import UserProfile

from .models import CustomUser, ServiceAPIKey


class ProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    readonly_fields = ["total_xp", "reality_xp", "cyber_xp", "level", "updated_at"]
    fields = ["total_xp", "reality_xp", "cyber_xp", "level", "reality_league", "cyber_league", "updated_at"]


@admin.register(CustomUser)
class CustomUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "display_name", "discord_id", "email", "is_active", "is_staff", "date_joined"]
    search_fields = ["username", "display_name", "discord_id", "email"]
    fieldsets = (*UserAdmin.fieldsets, ("Discord", {"fields": ["discord_id", "display_name", "avatar_url"]}))  # type: ignore[misc]


@admin.register(ServiceAPIKey)
class ServiceAPIKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "scopes"]
