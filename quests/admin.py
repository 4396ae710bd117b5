"""Challenges are set up here (or by a quests:manage key); goals are the players' own and are
read-only. Participations are read-only: their state changes only through the quest services."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from quests.models import Quest, QuestParticipation


class ParticipationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = QuestParticipation
    extra = 0
    fields = ["user", "state", "joined_at", "reached_at", "finished_at", "reward_entry"]
    readonly_fields = ["user", "state", "joined_at", "reached_at", "finished_at", "reward_entry"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ChallengeForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Quest
        fields = [
            "title",
            "description",
            "mode",
            "activity",
            "target",
            "starts_at",
            "ends_at",
            "reward_xp",
            "proof_required",
            "required_layer",
            "event",
            "is_published",
        ]

    def clean_activity(self) -> Any:
        activity = self.cleaned_data.get("activity")
        if activity is not None and activity.system:
            raise forms.ValidationError("A system activity cannot be a quest's activity.")
        return activity

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        activity = data.get("activity")
        if activity is not None and data.get("mode") and activity.mode != data["mode"]:
            self.add_error("activity", "The activity belongs to the other mode.")
        event = data.get("event")
        if event is not None and data.get("mode") and event.mode != data["mode"]:
            self.add_error("event", "The event belongs to the other mode.")
        return data


@admin.register(Quest)
class QuestAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ChallengeForm
    list_display = [
        "title",
        "kind",
        "mode",
        "activity",
        "target",
        "starts_at",
        "ends_at",
        "reward_xp",
        "proof_required",
    ]
    list_filter = ["kind", "mode", "proof_required", "is_published"]
    search_fields = ["title", "owner__username"]
    raw_id_fields = ["event"]
    inlines = [ParticipationInline]

    def save_model(self, request: HttpRequest, obj: Quest, form: Any, change: bool) -> None:
        if not change:
            obj.kind = Quest.CHALLENGE  # the admin sets up challenges; goals are the players'
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request: HttpRequest, obj: Quest | None = None) -> bool:
        if obj is not None and obj.kind == Quest.GOAL:
            return False
        return super().has_change_permission(request, obj)
