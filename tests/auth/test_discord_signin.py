"""POST /api/v1/auth/discord/ with a code or an access token, for browsers and apps, and every
way Discord can refuse or fail."""

import pytest
from rest_framework.test import APIClient

from users.models import CustomUser
from xp.models import XPEntry

URL = "/api/v1/auth/discord/"
REDIRECT = "http://localhost:3000/auth/discord"
ALICE = "80351110224678912"


@pytest.fixture
def alice(discord):  # type: ignore[no-untyped-def]
    return discord.add_user(ALICE, "alice", global_name="Alice A.", avatar="a_abc123", email="alice@example.test")


def app_client() -> APIClient:
    return APIClient()


@pytest.mark.django_db
def test_app_signs_in_with_a_code_and_gets_tokens(discord, alice):
    code = discord.issue_code(ALICE, REDIRECT)
    response = app_client().post(URL, {"code": code, "redirect_uri": REDIRECT, "client": "app"}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["method"] == "token" and body["token_type"] == "Bearer"
    assert body["user"]["discord_id"] == ALICE
    assert body["user"]["display_name"] == "Alice A."
    assert body["user"]["avatar_url"] == f"https://cdn.discordapp.com/avatars/{ALICE}/a_abc123.gif"
    user = CustomUser.objects.get(discord_id=ALICE)
    assert user.username == "alice" and user.email == "alice@example.test" and not user.has_usable_password()
    # The access token works as Bearer; source of an app's XP is "mobile".
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert bearer.get("/api/v1/auth/session/").json() == {"user": body["user"], "method": "token"}
    added = bearer.post("/api/v1/xp/add/", {"activity": "pushups", "units": 3}, format="json")
    assert added.status_code == 201, added.content
    assert XPEntry.objects.get(user=user).source == "mobile"


@pytest.mark.django_db
def test_app_signs_in_with_an_access_token(discord, alice):
    token = discord.issue_token(ALICE)
    response = app_client().post(URL, {"access_token": token, "client": "app"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["user"]["discord_id"] == ALICE and response.json()["access"]


@pytest.mark.django_db
def test_browser_signs_in_with_a_code_and_gets_a_session(discord, alice):
    browser = APIClient(enforce_csrf_checks=True)
    csrf = browser.get("/api/v1/auth/csrf/").json()["csrf_token"]
    code = discord.issue_code(ALICE, REDIRECT)
    response = browser.post(URL, {"code": code, "redirect_uri": REDIRECT}, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    assert response.json()["method"] == "session" and "access" not in response.json()
    assert "sessionid" in response.cookies
    session = browser.get("/api/v1/auth/session/")
    assert session.status_code == 200 and session.json()["user"]["discord_id"] == ALICE


@pytest.mark.django_db
def test_browser_sign_in_without_csrf_token_is_refused(discord, alice):
    browser = APIClient(enforce_csrf_checks=True)
    code = discord.issue_code(ALICE, REDIRECT)
    response = browser.post(URL, {"code": code, "redirect_uri": REDIRECT}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_sign_in_refreshes_identity_and_keeps_one_account(discord, alice):
    first = app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    alice.update(username="alice2", global_name="Alice Renamed", avatar=None)
    second = app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    assert first.json()["user"]["id"] == second.json()["user"]["id"]
    user = CustomUser.objects.get(discord_id=ALICE)
    assert (user.username, user.display_name) == ("alice2", "Alice Renamed")
    assert user.avatar_url.startswith("https://cdn.discordapp.com/embed/avatars/")
    assert CustomUser.objects.filter(discord_id=ALICE).count() == 1


@pytest.mark.django_db
def test_discord_username_taken_locally_gets_a_unique_username(discord, alice):
    CustomUser.objects.create_user(username="alice", password="x" * 12)
    response = app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    assert response.status_code == 200, response.content
    username = response.json()["user"]["username"]
    assert username.startswith("alice_") and ALICE not in username  # usernames are public, Discord ids not
    again = app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    assert again.json()["user"]["username"] == username  # stable while the clash lasts


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"code": "never-issued", "redirect_uri": REDIRECT, "client": "app"}, "discord_code_invalid"),
        ({"access_token": "revoked-or-made-up", "client": "app"}, "discord_token_invalid"),
        ({"client": "app"}, "code_or_token_required"),
        ({"code": "x", "client": "app"}, "required"),
        ({"code": "x", "access_token": "y", "client": "app"}, "code_or_token_required"),
        ({"access_token": "y", "client": "robot"}, "invalid_choice"),
        ({"access_token": "y", "client": "app", "xp": 5}, "unknown_field"),
    ],
)
def test_bad_code_or_token_is_400_with_a_code(discord, alice, body, code):
    response = app_client().post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code


@pytest.mark.django_db
def test_code_for_another_redirect_uri_is_refused(discord, alice):
    code = discord.issue_code(ALICE, "http://elsewhere.test/cb")
    response = app_client().post(URL, {"code": code, "redirect_uri": REDIRECT, "client": "app"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "discord_code_invalid"


@pytest.mark.django_db
def test_code_works_once(discord, alice):
    code = discord.issue_code(ALICE, REDIRECT)
    body = {"code": code, "redirect_uri": REDIRECT, "client": "app"}
    assert app_client().post(URL, body, format="json").status_code == 200
    again = app_client().post(URL, body, format="json")
    assert again.status_code == 400 and again.json()["code"] == "discord_code_invalid"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [("5xx", 502, "discord_bad_gateway"), ("429", 503, "discord_unavailable"), ("garbage", 502, "discord_bad_gateway")],
)
def test_discord_failing_is_502_or_503_with_a_code(discord, alice, failure, status, code):
    token = discord.issue_token(ALICE)
    discord.failure = failure
    for body in ({"access_token": token, "client": "app"}, {"code": "c", "redirect_uri": REDIRECT, "client": "app"}):
        response = app_client().post(URL, body, format="json")
        assert response.status_code == status, response.content
        assert response.json()["code"] == code
        # A 503 says when to come back: Discord's own retry_after (1.5 s, rounded up) on a 429.
        assert response.get("Retry-After") == ("2" if status == 503 else None)


@pytest.mark.django_db
def test_discord_unreachable_is_503(discord, alice, settings, closed_port_url):
    settings.DISCORD_API_URL = closed_port_url
    response = app_client().post(URL, {"access_token": "t", "client": "app"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "discord_unavailable"
    assert response["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)


@pytest.mark.django_db
def test_wrong_client_secret_is_502_not_400(discord, alice, settings):
    settings.DISCORD_CLIENT_SECRET = "wrong"
    code = discord.issue_code(ALICE, REDIRECT)
    response = app_client().post(URL, {"code": code, "redirect_uri": REDIRECT, "client": "app"}, format="json")
    assert response.status_code == 502 and response.json()["code"] == "discord_client_rejected"


@pytest.mark.django_db
def test_not_configured_is_503(settings):
    settings.DISCORD_CLIENT_ID = ""
    response = app_client().post(URL, {"access_token": "t", "client": "app"}, format="json")
    assert response.status_code == 503 and response.json()["code"] == "feature_not_configured"
    assert APIClient().get(URL).json()["code"] == "feature_not_configured"


@pytest.mark.django_db
def test_disabled_account_cannot_sign_in(discord, alice):
    app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    CustomUser.objects.filter(discord_id=ALICE).update(is_active=False)
    response = app_client().post(URL, {"access_token": discord.issue_token(ALICE), "client": "app"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "account_disabled"


@pytest.mark.django_db
def test_native_app_redirect_uri_with_a_custom_scheme(discord, alice):
    code = discord.issue_code(ALICE, "igoultra://auth/discord")
    body = {"code": code, "redirect_uri": "igoultra://auth/discord", "client": "app"}
    response = app_client().post(URL, body, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_token_discord_issued_to_another_application_does_not_sign_in(discord, alice):
    token = discord.issue_token(ALICE, application_id="999999999999999999")
    response = app_client().post(URL, {"access_token": token, "client": "app"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "discord_token_invalid"
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()
