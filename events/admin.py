"""Webhook subscriptions (add, edit, enable again), their delivery log with "redeliver", and the
recorded domain events (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from core.exceptions import DomainError
from core.services.events import webhooks

from .models import DomainEvent, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = WebhookEndpoint
        fields = ["url", "event_types", "description", "is_active"]

    def clean_url(self) -> str:
        try:
            return webhooks.validate_url(self.cleaned_data.get("url"))
        except DomainError as exc:
            raise ValidationError(exc.message) from None

    def clean_event_types(self) -> list[str]:
        try:
            return webhooks.validate_event_types(self.cleaned_data.get("event_types"))
        except DomainError as exc:
            raise ValidationError(exc.message) from None


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = WebhookEndpointForm
    list_display = ["id", "url", "types", "is_active", "state", "failing_since", "created_at"]
    list_filter = ["is_active", ("disabled_at", admin.EmptyFieldListFilter)]
    search_fields = ["url", "description"]
    readonly_fields = ["secret", "disabled_at", "failing_since", "owner_key", "created_at"]
    actions = ["enable"]

    @admin.display(description="event types")
    def types(self, obj: WebhookEndpoint) -> str:
        return ", ".join(obj.event_types or [])

    @admin.display(description="state")
    def state(self, obj: WebhookEndpoint) -> str:
        if obj.disabled_at is not None:
            return f"DISABLED since {obj.disabled_at:%Y-%m-%d %H:%M} (every delivery failed)"
        return "receiving" if obj.is_active else "paused"

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool) -> None:
        if change and "is_active" in form.changed_data and obj.is_active:
            obj.disabled_at = obj.failing_since = None  # switched on again: a fresh start
        super().save_model(request, obj, form, change)

    @admin.action(description="Enable the selected endpoints again")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            webhooks.enable_endpoint(endpoint)
        self.message_user(request, f"{queryset.count()} endpoint(s) enabled.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "endpoint"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Redeliver the selected deliveries (same webhook-id)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        count = webhooks.redeliver(list(queryset))
        self.message_user(request, f"{count} deliveries queued again.", messages.SUCCESS)


@admin.register(DomainEvent)
class DomainEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "type", "user", "sequence", "created_at", "dispatched_at"]
    list_filter = ["type"]
    search_fields = ["user__username", "user__discord_id"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in DomainEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
