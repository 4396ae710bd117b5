from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from xp.models import UserProfile

from .models import SCOPES, CustomUser, ServiceAPIKey


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

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)
        # Every account has a profile, also one an admin adds by hand (the profile inline is
        # only saved when its form was touched).
        UserProfile.objects.get_or_create(user=form.instance)


class ServiceAPIKeyForm(forms.ModelForm):  # type: ignore[type-arg]
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="xp:write awards XP to Discord users; profile:read reads their profiles.",
    )

    class Meta:
        model = ServiceAPIKey
        fields = ["name", "scopes", "expiry_date", "revoked"]


@admin.register(ServiceAPIKey)
class ServiceAPIKeyAdmin(APIKeyModelAdmin):
    """Creating a key here shows it once in the confirmation message; revoking is permanent."""

    form = ServiceAPIKeyForm
    list_display = (*APIKeyModelAdmin.list_display, "scopes")  # type: ignore[assignment]


# One key section in the admin: the library's own "API keys" page makes keys this API does not
# accept (only ServiceAPIKey, with scopes, authenticates), so it is not shown.
if admin.site.is_registered(APIKey):
    admin.site.unregister(APIKey)
