"""The bot path end to end: a service key awards XP to a Discord user who has no account yet;
that person's later Discord sign-in shows the same account and XP."""

import pytest
from rest_framework.test import APIClient

from users.models import CustomUser
from xp.models import XPEntry

CAROL = "412345678901234567"


@pytest.mark.django_db
def test_key_awards_new_discord_id_then_sign_in_shows_same_account_and_xp(discord, bot_headers):
    bot = APIClient(**bot_headers)
    body = {"activity": "pushups", "units": 20, "discord_id": CAROL}
    first = bot.post("/api/v1/xp/add/", body, format="json", HTTP_IDEMPOTENCY_KEY="msg-1")
    assert first.status_code == 201, first.content
    assert first.json()["awarded_xp"] == 200 and first.json()["duplicate"] is False
    created = CustomUser.objects.get(discord_id=CAROL)
    assert not created.has_usable_password()
    entry = XPEntry.objects.get(user=created)
    assert entry.source == "bot" and entry.api_key_id is not None and entry.submitted_by_id is None

    # Retries with the same Idempotency-Key add nothing and answer as the first time.
    for _ in range(2):
        retry = bot.post("/api/v1/xp/add/", body, format="json", HTTP_IDEMPOTENCY_KEY="msg-1")
        assert retry.status_code == 201 and retry.json()["duplicate"] is True
        assert retry.json()["entry"]["id"] == first.json()["entry"]["id"]
    assert XPEntry.objects.filter(user=created).count() == 1

    profile = bot.get(f"/api/v1/users/discord/{CAROL}/profile/")
    assert profile.status_code == 200 and profile.json()["xp"]["total"] == 200

    # Carol signs in with Discord for the first time: the same account, with her XP.
    discord.add_user(CAROL, "carol", global_name="Carol C.", avatar="f00d")
    signed = APIClient().post(
        "/api/v1/auth/discord/", {"access_token": discord.issue_token(CAROL), "client": "app"}, format="json"
    )
    assert signed.status_code == 200, signed.content
    assert signed.json()["user"]["id"] == created.pk
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {signed.json()['access']}").get("/api/v1/user/profile/")
    assert me.json()["xp"]["total"] == 200 and me.json()["display_name"] == "Carol C."
    assert CustomUser.objects.filter(discord_id=CAROL).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "bad", ["123", "abcdefghijklmnopqr", "1" * 21, "-12345678901234567", 12345678901234567.0, None, ""]
)
def test_malformed_discord_id_is_400_and_creates_nothing(bot_headers, bad):
    bot = APIClient(**bot_headers)
    response = bot.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1, "discord_id": bad}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] in ("invalid_discord_id", "null", "blank", "invalid")
    assert not CustomUser.objects.exists()


@pytest.mark.django_db
def test_malformed_discord_id_in_profile_path_is_400(bot_headers):
    bot = APIClient(**bot_headers)
    for bad in ("123", "abc", "1" * 21):
        response = bot.get(f"/api/v1/users/discord/{bad}/profile/")
        assert response.status_code == 400 and response.json()["code"] == "invalid_discord_id"
    unknown = bot.get(f"/api/v1/users/discord/{CAROL}/profile/")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_discord_user"
    assert not CustomUser.objects.exists()  # reading never creates an account


@pytest.mark.django_db
def test_refused_award_does_not_leave_an_account_behind(bot_headers):
    bot = APIClient(**bot_headers)
    response = bot.post("/api/v1/xp/add/", {"activity": "no-such", "units": 1, "discord_id": CAROL}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "unknown_activity"
    response = bot.post("/api/v1/xp/add/", {"activity": "pushups", "units": 5000, "discord_id": CAROL}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "units_over_entry_max"
    assert not CustomUser.objects.filter(discord_id=CAROL).exists()


@pytest.mark.django_db
def test_key_must_name_a_discord_id(bot_headers):
    response = APIClient(**bot_headers).post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "discord_id_required"


@pytest.mark.django_db
def test_player_cannot_award_xp_to_anyone_else(player_client, player):
    other = CustomUser.objects.create_user(username="victim", discord_id=CAROL)
    for target in (CAROL, "512345678901234567"):
        response = player_client.post(
            "/api/v1/xp/add/", {"activity": "pushups", "units": 1, "discord_id": target}, format="json"
        )
        assert response.status_code == 403 and response.json()["code"] == "discord_id_not_allowed"
    assert not XPEntry.objects.filter(user=other).exists()
    assert not CustomUser.objects.filter(discord_id="512345678901234567").exists()


@pytest.mark.django_db
def test_key_scopes_and_revocation(make_key):
    _, reader = make_key(["profile:read"])
    _, revoked = make_key(["xp:write"], revoked=True)
    body = {"activity": "pushups", "units": 1, "discord_id": CAROL}
    response = APIClient(HTTP_AUTHORIZATION=f"Api-Key {reader}").post("/api/v1/xp/add/", body, format="json")
    assert response.status_code == 403 and response.json()["code"] == "missing_scope"
    for header in (f"Api-Key {revoked}", "Api-Key nope.nope", "Api-Key ", "Api-Key x"):
        response = APIClient(HTTP_AUTHORIZATION=header).post("/api/v1/xp/add/", body, format="json")
        assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    assert not CustomUser.objects.exists()


@pytest.mark.django_db
def test_expired_key_is_401(make_key):
    from datetime import timedelta

    from django.utils import timezone

    api_key, raw = make_key(["profile:read"])
    api_key.expiry_date = timezone.now() - timedelta(seconds=1)
    api_key.save(update_fields=["expiry_date"])
    response = APIClient(HTTP_AUTHORIZATION=f"Api-Key {raw}").get(f"/api/v1/users/discord/{CAROL}/profile/")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"


@pytest.mark.django_db(transaction=True)
def test_xp_add_stays_within_6_queries_for_a_session_and_for_a_key(
    player_client, bot_headers, django_assert_max_num_queries
):
    player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json")
    with django_assert_max_num_queries(6):
        assert (
            player_client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 2}, format="json").status_code == 201
        )
    bot = APIClient(**bot_headers)
    bot.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1, "discord_id": CAROL}, format="json")
    with django_assert_max_num_queries(6):  # key lookup, account read, then as for a session
        response = bot.post("/api/v1/xp/add/", {"activity": "pushups", "units": 2, "discord_id": CAROL}, format="json")
        assert response.status_code == 201
