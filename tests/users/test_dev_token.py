"""`manage.py dev_token`: a local way in for demo players, refused without DEBUG."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def test_dev_token_prints_a_working_session_cookie_and_app_token(settings):
    settings.DEBUG = True
    player = PlayerFactory(username="ada")
    out = StringIO()
    call_command("dev_token", "ada", stdout=out)
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines() if not line.startswith("  "))
    cookie_name, cookie = lines["session cookie"].split("=", 1)
    browser = APIClient()
    browser.cookies[cookie_name] = cookie
    assert browser.get("/api/v1/auth/session/").json()["user"]["id"] == player.pk
    access = lines[next(k for k in lines if k.startswith("access token"))]
    assert APIClient(HTTP_AUTHORIZATION=f"Bearer {access}").get("/api/v1/user/profile/").json()["id"] == player.pk


def test_dev_token_refuses_without_debug_and_for_unknown_players(settings):
    PlayerFactory(username="ada")
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("dev_token", "ada", stdout=StringIO())
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no active player"):
        call_command("dev_token", "nobody", stdout=StringIO())
