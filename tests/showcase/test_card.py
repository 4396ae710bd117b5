"""The rank card endpoint: a 934 x 282 PNG for public players, ETag and caching, options, the
avatar from Discord's CDN only (with a fallback), and nothing for hidden players."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image
from rest_framework.test import APIClient

from showcase.card import HEIGHT, WIDTH
from tests.showcase.conftest import ADA_DISCORD, ADA_HASH, give
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def card_url(user, **params) -> str:  # type: ignore[no-untyped-def]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/api/v1/users/{user.pk}/card.png" + (f"?{query}" if query else "")


def test_card_is_a_934_by_282_png_with_etag_and_cache_control(community):
    response = APIClient().get(card_url(community["ada"], mode="reality"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (WIDTH, HEIGHT) == (934, 282)
    assert response["ETag"].startswith('"') and len(response["ETag"]) == 34
    assert "public" in response["Cache-Control"] and "max-age=60" in response["Cache-Control"]
    assert "Cookie" not in response["Vary"] and "Accept-Language" in response["Vary"]  # the default language


def test_same_etag_answers_304_without_a_body_and_changes_when_the_player_changes(community):
    client = APIClient()
    first = client.get(card_url(community["ada"]))
    again = client.get(card_url(community["ada"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == first["ETag"]
    give(community["ada"], 5)  # more XP: another card
    changed = client.get(card_url(community["ada"]), HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_themes_languages_and_modes_give_different_cards(community):
    client = APIClient()
    tags = {
        client.get(card_url(community["bob"], mode=mode, theme=theme, lang=lang))["ETag"]
        for mode in ("reality", "cyber")
        for theme in ("dark", "light")
        for lang in ("en", "de")
    }
    assert len(tags) == 8
    # Without ?lang= the card speaks the request's language.
    german = client.get(card_url(community["bob"]), HTTP_ACCEPT_LANGUAGE="de")
    assert german["ETag"] == client.get(card_url(community["bob"], lang="de"))["ETag"]


@pytest.mark.parametrize("param", ["mode", "theme", "lang"])
def test_unknown_option_is_400_invalid_filter(community, param):
    response = APIClient().get(card_url(community["ada"], **{param: "purple"}))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_filter" and response.json()["field"] == param


def test_hidden_unknown_and_out_of_range_players_are_404_unknown_player(community):
    client = APIClient()
    for path in (
        card_url(community["cyd"]),
        "/api/v1/users/99999999/card.png",
        "/api/v1/users/99999999999999999999999/card.png",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "unknown_player"
    german = client.get(card_url(community["cyd"]), HTTP_ACCEPT_LANGUAGE="de")
    assert german.json()["detail"] == "Diesen Spieler gibt es nicht."


def test_deactivated_and_erased_players_have_no_card(community):
    from core.utils.dates import utc_now

    community["bob"].is_active = False
    community["bob"].save(update_fields=["is_active"])
    community["dee"].erased_at = utc_now()
    community["dee"].save(update_fields=["erased_at"])
    for name in ("bob", "dee"):
        assert APIClient().get(card_url(community[name])).status_code == 404


def test_avatar_comes_from_the_cdn_path_built_from_discord_id_and_hash(community, cdn):
    response = APIClient().get(card_url(community["ada"]))
    assert response.status_code == 200
    assert cdn.requests == [f"/avatars/{ADA_DISCORD}/{ADA_HASH}.png?size=256"]
    # The stand-in's red avatar is in the circle (left part of the card).
    pixel = Image.open(io.BytesIO(response.content)).convert("RGB").getpixel((134, 141))
    assert pixel[0] > 150 and pixel[1] < 90
    # Kept in memory: the next card asks the CDN nothing.
    APIClient().get(card_url(community["ada"], theme="light"))
    assert len(cdn.requests) == 1


def test_a_stored_avatar_url_elsewhere_is_never_fetched(community, cdn):
    # An avatar_url on another host, or another Discord user's avatar: neither is fetched.
    mallory = PlayerFactory(
        username="mallory",
        discord_id="275928847299117063",
        avatar_url=f"https://cdn.discordapp.com/avatars/{ADA_DISCORD}/{ADA_HASH}.png",
    )
    eve = PlayerFactory(username="eve", discord_id=None, avatar_url="http://127.0.0.1:1/internal.png")
    assert APIClient().get(card_url(mallory)).status_code == 200
    assert APIClient().get(card_url(eve)).status_code == 200
    # Mallory gets Discord's default avatar for *her* id; eve (no Discord) the drawn fallback.
    assert cdn.requests == [f"/embed/avatars/{(275928847299117063 >> 22) % 6}.png"]


@pytest.mark.parametrize("failure", ["500", "slow", "not an image"])
def test_cdn_failing_draws_the_fallback_quickly(community, cdn, failure):
    if failure == "500":
        cdn.status = 500
    elif failure == "slow":
        cdn.delay = 2.0
    else:
        cdn.body = b"<html>not a png</html>"
    started = time.monotonic()
    response = APIClient().get(card_url(community["ada"]))
    assert time.monotonic() - started < 1.8  # the CDN timeout is 0.5 s
    assert response.status_code == 200 and response.content.startswith(PNG_SIGNATURE)
    cdn.delay = 0
    APIClient().get(card_url(community["ada"]))  # the failure is kept a minute: no second wait
    assert len(cdn.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_rendered_card_is_kept_in_redis_by_its_etag(redis_server, community, monkeypatch):
    from showcase import cards

    first = APIClient().get(card_url(community["ada"]))
    assert redis_server.get(cards.rendered_key(first["ETag"])) == first.content
    # Another worker with the same facts answers from Redis: no second render.
    monkeypatch.setattr(cards, "render_card", lambda *a, **k: pytest.fail("rendered again"))
    again = APIClient().get(card_url(community["ada"]))
    assert again.content == first.content and again["ETag"] == first["ETag"]
