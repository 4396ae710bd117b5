"""The Strava admin pages render, and the review queue opens on held activities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client

from integrations.models import StravaActivity
from users.models import CustomUser
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def _record(state: str, strava_id: int) -> StravaActivity:
    now = datetime.now(UTC)
    return StravaActivity.objects.create(
        strava_id=strava_id,
        user=PlayerFactory(),
        athlete_id=strava_id,
        sport_type="Ride",
        activity_key="cycling",
        distance_m=1000,
        moving_time_s=10,
        state=state,
        review_reason="no" if state == "rejected" else "",
        created_at=now,
        updated_at=now,
    )


@pytest.mark.parametrize("url", ["/admin/integrations/stravaconnection/", "/admin/integrations/stravaactivity/"])
def test_strava_admin_pages_render(url):
    client = Client()
    client.force_login(CustomUser.objects.create_superuser("boss", "boss@example.test", "pw"))
    assert client.get(url).status_code == 200


def test_the_review_queue_shows_held_activities_unless_asked_for_all():
    held, ignored = _record("held", 9001), _record("ignored", 9002)
    client = Client()
    client.force_login(CustomUser.objects.create_superuser("boss", "boss@example.test", "pw"))
    queue = client.get("/admin/integrations/stravaactivity/").content.decode()
    assert str(held.strava_id) in queue and str(ignored.strava_id) not in queue
    everything = client.get("/admin/integrations/stravaactivity/?state=all").content.decode()
    assert str(held.strava_id) in everything and str(ignored.strava_id) in everything
    page = client.get(f"/admin/integrations/stravaactivity/{held.pk}/change/")
    assert page.status_code == 200


def test_staff_without_the_review_permission_cannot_approve():
    held = _record("held", 9003)
    staff = CustomUser.objects.create_user("helper", "helper@example.test", "pw", is_staff=True)
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_stravaactivity"))
    client = Client()
    client.force_login(staff)
    client.post("/admin/integrations/stravaactivity/", {"action": "approve_activities", "_selected_action": [held.pk]})
    held.refresh_from_db()
    assert held.state == "held"
