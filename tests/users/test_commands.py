"""create_api_key prints the key once, alone on its last line; revoke_api_key revokes it."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from users.models import ServiceAPIKey


def create(*args: str) -> str:
    out = StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_create_api_key_prints_a_working_key_alone_on_the_last_line():
    output = create("discord-bot", "--scopes", "xp:write", "profile:read")
    key = output.strip().splitlines()[-1]
    api_key = ServiceAPIKey.objects.get_from_key(key)
    assert api_key.name == "discord-bot" and api_key.scopes == ["profile:read", "xp:write"]
    assert key not in api_key.hashed_key and key.startswith(api_key.prefix + ".")  # stored hashed, prefixed
    response = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/users/discord/300000000000000009/profile/")
    assert response.status_code == 404  # authenticated and allowed; that Discord user has no account


@pytest.mark.django_db
def test_create_api_key_refuses_unknown_scopes_and_needs_scopes():
    with pytest.raises(CommandError):
        create("bot", "--scopes", "admin:everything")
    with pytest.raises(CommandError):
        create("bot")
    assert not ServiceAPIKey.objects.exists()


@pytest.mark.django_db
def test_create_api_key_with_expiry():
    key = create("temp", "--scopes", "profile:read", "--expires-days", "7").strip().splitlines()[-1]
    assert ServiceAPIKey.objects.get_from_key(key).expiry_date is not None


@pytest.mark.django_db
def test_revoke_api_key_makes_it_401():
    key = create("bot", "--scopes", "profile:read").strip().splitlines()[-1]
    out = StringIO()
    call_command("revoke_api_key", key.split(".")[0], stdout=out)
    assert "Revoked" in out.getvalue()
    response = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}").get("/api/v1/users/discord/300000000000000009/profile/")
    assert response.status_code == 401 and response.json()["code"] == "invalid_api_key"
    with pytest.raises(CommandError):
        call_command("revoke_api_key", "unknown-prefix", stdout=StringIO())


@pytest.mark.django_db
def test_admin_creates_a_scoped_key_and_shows_it_once(client):
    from users.tests.factories import PlayerFactory

    admin_user = PlayerFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    assert client.get("/admin/users/serviceapikey/add/").status_code == 200
    response = client.post(
        "/admin/users/serviceapikey/add/", {"name": "bot", "scopes": ["xp:write"], "expiry_date": ""}, follow=True
    )
    assert response.status_code == 200
    api_key = ServiceAPIKey.objects.get(name="bot")
    assert api_key.scopes == ["xp:write"]
    shown = [str(m) for m in response.context["messages"]]
    assert any(api_key.prefix in m for m in shown)  # the one time the full key is displayed
    assert client.get("/admin/users/serviceapikey/").status_code == 200
