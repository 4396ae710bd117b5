"""The admin pages community admins use, driven over HTTP like a browser would."""

from decimal import Decimal

import pytest
from django.test import Client

from core.services.xp import award_xp
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, UserProfile, XPEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_():
    admin = CustomUser.objects.create_superuser("boss", "boss@example.test", "pw")
    client = Client()
    client.force_login(admin)
    return client, admin


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/xp/activitytype/",
        "/admin/xp/xpentry/",
        "/admin/xp/userprofile/",
        "/admin/users/customuser/",
        "/admin/seasons/season/",
        "/admin/seasons/seasonscore/",
        "/admin/seasons/seasonresult/",
    ],
)
def test_admin_pages_render(admin_client_, url):
    client, _ = admin_client_
    award_xp(user=PlayerFactory(), activity="running", units=Decimal("2"), source="web")
    assert client.get(url).status_code == 200


def test_admin_edits_activity_rates(admin_client_):
    client, _ = admin_client_
    pushups = ActivityType.objects.get(key="pushups")
    page = client.get(f"/admin/xp/activitytype/{pushups.pk}/change/")
    assert page.status_code == 200
    form = {
        "key": "pushups",
        "name": "Push-ups",
        "mode": "reality",
        "unit": "repetition",
        "xp_per_unit": "12",
        "max_units_per_entry": "500",
        "daily_unit_cap": "2000",
        "is_active": "on",
        "description": "",
    }
    assert client.post(f"/admin/xp/activitytype/{pushups.pk}/change/", form).status_code == 302
    pushups.refresh_from_db()
    assert (pushups.xp_per_unit, pushups.max_units_per_entry) == (Decimal("12"), Decimal("500"))


def test_user_page_shows_the_profile(admin_client_):
    client, _ = admin_client_
    player = PlayerFactory()
    award_xp(user=player, activity="coding", units=Decimal("10"), source="web")
    html = client.get(f"/admin/users/customuser/{player.pk}/change/").content.decode()
    assert "50" in html and "Cyber xp" in html


def test_ledger_entries_are_read_only_in_the_admin(admin_client_):
    client, _ = admin_client_
    entry = award_xp(user=PlayerFactory(), activity="running", units=Decimal("2"), source="web").entry
    assert client.get(f"/admin/xp/xpentry/{entry.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/xp/xpentry/{entry.pk}/change/", {"xp": "999999"}).status_code == 403
    assert client.post(f"/admin/xp/xpentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert XPEntry.objects.get(pk=entry.pk).xp == 600


def test_correction_action_requires_a_reason_and_records_who_and_why(admin_client_):
    client, admin = admin_client_
    player = PlayerFactory()
    entry = award_xp(user=player, activity="running", units=Decimal("2"), source="web").entry
    action = {"action": "correct_entries", "_selected_action": [entry.pk]}
    confirm = client.post("/admin/xp/xpentry/", action)
    assert confirm.status_code == 200 and b"Reason (required)" in confirm.content
    client.post("/admin/xp/xpentry/", {**action, "apply": "1", "reason": "  "})
    assert XPEntry.objects.count() == 1  # no reason, no correction
    client.post("/admin/xp/xpentry/", {**action, "apply": "1", "reason": "GPS glitch"})
    correction = XPEntry.objects.get(corrects=entry)
    assert (correction.xp, correction.reason, correction.submitted_by, correction.source) == (
        -600,
        "GPS glitch",
        admin,
        "admin",
    )
    assert UserProfile.objects.get(user=player).total_xp == 0
    client.post("/admin/xp/xpentry/", {**action, "apply": "1", "reason": "again"})
    assert XPEntry.objects.filter(corrects=entry).count() == 1  # one correction per entry


def test_players_cannot_reach_the_admin():
    client = Client()
    client.force_login(PlayerFactory())
    assert client.get("/admin/xp/xpentry/").status_code == 302


def test_a_user_added_in_the_admin_has_a_profile(admin_client_):
    client, _ = admin_client_
    response = client.post(
        "/admin/users/customuser/add/",
        {
            "username": "newcomer",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
            "usable_password": "true",
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-reality_league": "bronze",  # the inline's defaults, untouched
            "profile-0-cyber_league": "bronze",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert UserProfile.objects.filter(user__username="newcomer").exists()
