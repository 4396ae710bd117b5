"""Admin: the claim queue (proof, votes, reasons) with approve/reject actions that decide through
the same service as the API (core.services.claims.decide): the claim records who decided, when
and why, and Django's admin log records the action."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from claims.models import APPROVE, PENDING, REJECT, Claim, ClaimVote
from core.exceptions import DomainError
from core.services import claims as claim_service


class ClaimVoteInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ClaimVote
    fk_name = "claim"
    fields = ["reviewer", "verdict", "reason", "created_at", "matched", "rewarded"]
    readonly_fields = ["reviewer", "verdict", "reason", "created_at", "matched", "rewarded"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "id",
        "user",
        "kind",
        "activity",
        "units",
        "xp",
        "reason",
        "state",
        "approvals",
        "rejections",
        "created_at",
    ]
    list_filter = ["state", "kind", "reason", "decided_via"]
    search_fields = ["user__username", "user__discord_id", "note", "proof_url", "subject"]
    ordering = ["state", "created_at"]
    raw_id_fields = ["user"]
    inlines = [ClaimVoteInline]
    actions = ["approve_claims", "reject_claims"]
    readonly_fields = [f.name for f in Claim._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[Claim], verdict: str) -> None:
        decided = 0
        for claim in queryset.filter(state=PENDING):
            try:
                claim_service.decide(
                    claim_id=claim.pk,
                    verdict=verdict,
                    reason=f"admin action by {request.user}",
                    moderator=request.user,  # type: ignore[arg-type]
                )
            except DomainError as exc:
                self.message_user(request, f"claim {claim.pk}: {exc.message}", messages.WARNING)
                continue
            self.log_change(request, claim, f"{verdict}d claim {claim.pk}")
            decided += 1
        self.message_user(request, f"{decided} claim(s) {verdict}d.")

    @admin.action(description="Approve the selected pending claims (awards their XP)", permissions=["change"])
    def approve_claims(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self._decide(request, queryset, APPROVE)

    @admin.action(description="Reject the selected pending claims", permissions=["change"])
    def reject_claims(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        self._decide(request, queryset, REJECT)
