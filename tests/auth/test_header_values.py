"""A value that cannot go into an HTTP header (outside Latin-1, or a control character) is refused
with the endpoint's code, never a UnicodeEncodeError 500 (issue 9: found by fuzzing)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.auth.conftest import FakeDiscord


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token",
    ["tökén☃", "日本語のトークン", "abc\u2028def", "abc\ndef", "abc\r\nX-Injected: 1", "tab\there", "é" * 10],
)
def test_a_token_that_cannot_be_a_header_is_discord_token_invalid(discord: FakeDiscord, token: str) -> None:
    for client in ("app", "browser"):
        response = APIClient(enforce_csrf_checks=False).post(
            "/api/v1/auth/discord/", {"access_token": token, "client": client}, format="json"
        )
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "discord_token_invalid"


@pytest.mark.django_db
def test_a_real_token_still_signs_in(discord: FakeDiscord) -> None:
    discord.add_user("80351110224678912", "alice")
    token = discord.issue_token("80351110224678912")
    response = APIClient().post("/api/v1/auth/discord/", {"access_token": token, "client": "app"}, format="json")
    assert response.status_code == 200, response.content


@pytest.mark.django_db
def test_a_token_with_a_trailing_space_is_sent_as_given(discord: FakeDiscord) -> None:
    discord.add_user("80351110224678912", "alice")
    token = discord.issue_token("80351110224678912")
    response = APIClient().post("/api/v1/auth/discord/", {"access_token": token + " ", "client": "app"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "discord_token_invalid"
