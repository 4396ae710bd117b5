"""Discord /rank and /profile show the rank card (its public URL as the embed's image): the URL
serves the card, follows what it shows, speaks the reader's language, and is left out for a
hidden player or without PUBLIC_BASE_URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from rest_framework.test import APIClient

from tests.discord.conftest import command, discord_user, interactions, signing_key  # noqa: F401
from tests.showcase.conftest import ADA_DISCORD, give

pytestmark = pytest.mark.django_db
BASE = "https://api.igoultra.test"


def image_of(response) -> str | None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return response.json()["data"]["embeds"][0].get("image", {}).get("url")


def test_rank_and_profile_show_the_card_that_the_api_serves(interactions, community, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = BASE
    ada = community["ada"]
    rank_image = image_of(interactions.post(command("rank", user=discord_user(ADA_DISCORD, "Ada"))))
    assert rank_image is not None and rank_image.startswith(f"{BASE}/api/v1/users/{ada.pk}/card.png?")
    query = parse_qs(urlsplit(rank_image).query)
    assert query["mode"] == ["reality"] and query["lang"] == ["en"] and len(query["v"][0]) == 12

    # The same URL, on this server, is the card.
    card = APIClient().get(rank_image.removeprefix(BASE))
    assert card.status_code == 200 and card["Content-Type"] == "image/png"

    cyber = command("rank", [{"name": "mode", "value": "cyber"}], user=discord_user(ADA_DISCORD, "Ada"))
    assert "mode=cyber" in image_of(interactions.post(cyber))
    german = command("profile", user=discord_user(ADA_DISCORD, "Ada"))
    german["locale"] = "de"
    profile_image = image_of(interactions.post(german))
    assert "lang=de" in profile_image

    # More XP: a new version, so Discord does not show the old picture it kept.
    give(ada, 10)
    assert image_of(interactions.post(command("rank", user=discord_user(ADA_DISCORD, "Ada")))) != rank_image


def test_no_card_for_a_hidden_player_or_without_a_public_base_url(interactions, community, settings):  # noqa: F811
    settings.PUBLIC_BASE_URL = ""
    assert image_of(interactions.post(command("rank", user=discord_user(ADA_DISCORD, "Ada")))) is None
    settings.PUBLIC_BASE_URL = BASE
    community["ada"].public = False
    community["ada"].save(update_fields=["public"])
    assert image_of(interactions.post(command("profile", user=discord_user(ADA_DISCORD, "Ada")))) is None


def test_profile_of_a_hidden_member_is_refused_to_others_but_not_to_themself(interactions, community):  # noqa: F811
    community["ada"].public = False
    community["ada"].save(update_fields=["public"])
    options = [{"name": "member", "type": 6, "value": ADA_DISCORD}]
    other = command("profile", options, user=discord_user("333333333333333333", "Zed"))
    answer = interactions.post(other).json()["data"]
    assert answer["flags"] == 64 and "keeps their iGoUltra profile private" in answer["embeds"][0]["description"]
    other["locale"] = "de"
    other["id"] = "700000000000000077"
    german = interactions.post(other).json()["data"]
    assert "hält sein iGoUltra-Profil privat" in german["embeds"][0]["description"]
    mine = interactions.post(command("profile", options, user=discord_user(ADA_DISCORD, "Ada"))).json()["data"]
    assert mine["embeds"][0]["title"] == "Ada Lovelace"
