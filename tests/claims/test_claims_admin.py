"""The admin's claim queue: pages render, and the approve action decides through the service
(XP once, who and why on the claim, an admin log entry)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from claims.models import Claim
from tests.claims.helpers import claim_running, client_for
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

pytestmark = pytest.mark.django_db


def test_the_admin_approves_a_claim_through_the_service():
    admin = CustomUser.objects.create_superuser("root", "root@example.test", "pw-123456789")
    client = Client()
    client.force_login(admin)
    player = PlayerFactory()
    claim = claim_running(client_for(player), 60)
    assert client.get("/admin/claims/claim/").status_code == 200
    assert client.get(f"/admin/claims/claim/{claim['id']}/change/").status_code == 200
    client.post("/admin/claims/claim/", {"action": "approve_claims", "_selected_action": [claim["id"]]})
    stored = Claim.objects.get(pk=claim["id"])
    assert (stored.state, stored.decided_via, stored.decided_by_id) == ("approved", "moderator", admin.pk)
    assert XPEntry.objects.filter(user=player).count() == 1
    assert LogEntry.objects.filter(object_id=str(claim["id"]), user=admin).exists()
    client.post("/admin/claims/claim/", {"action": "reject_claims", "_selected_action": [claim["id"]]})
    assert Claim.objects.get(pk=claim["id"]).state == "approved"  # decided claims stay decided
