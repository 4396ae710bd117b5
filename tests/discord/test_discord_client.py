"""The one Discord client (core/clients/discord.py) and its one 429 parser, over real HTTP
against the stand-in Discord: the JSON ``retry_after`` first, then ``Retry-After``, then
``X-RateLimit-Reset-After``, at most an hour, 1 s when none is usable; bot calls get it as
RateLimited, sign-in as 503 discord_unavailable with the same wait."""

from __future__ import annotations

from typing import Any

import pytest

from core.clients import discord
from core.exceptions import DiscordUnavailable
from core.utils.dates import utc_now

PATH = "/channels/1/messages"


def rate_limited(fake: Any, body: Any = None, headers: dict[str, str] | None = None) -> float:
    fake.fail_next(f"/api{PATH}", 429, body or {"message": "You are being rate limited."}, headers=headers)
    with pytest.raises(discord.RateLimited) as refused:
        discord.call("POST", PATH, json={"content": "hi"}, headers=discord.bot_headers())
    return refused.value.retry_after


@pytest.mark.parametrize(
    ("body", "headers", "seconds"),
    [
        ({"message": "slow", "retry_after": 0.8}, {"Retry-After": "5"}, 0.8),  # the body wins
        ({"message": "slow"}, {"Retry-After": "2"}, 2.0),
        ({"message": "slow"}, {"X-RateLimit-Reset-After": "3.25"}, 3.25),
        ({"message": "slow", "retry_after": "soon"}, {"Retry-After": "nan", "X-RateLimit-Reset-After": "4"}, 4.0),
        ({"message": "slow", "retry_after": 1e9}, {}, 3600.0),  # capped at an hour
        ({"message": "slow", "retry_after": -3}, {"Retry-After": "inf"}, 1.0),  # nothing usable
        ({"message": "slow"}, {}, 1.0),
    ],
)
def test_one_parser_reads_every_429_hint(discord_fake, body, headers, seconds):
    assert rate_limited(discord_fake, body, headers) == pytest.approx(seconds)


def test_sign_in_turns_a_429_into_503_with_discords_wait(discord_fake):
    discord_fake.fail_next("/api/oauth2/token", 429, {"message": "slow", "retry_after": 30})
    before = utc_now()
    with pytest.raises(DiscordUnavailable) as refused:
        discord.exchange_code(code="abc", redirect_uri="http://testserver/cb")
    assert refused.value.retry_at is not None
    assert 29 <= (refused.value.retry_at - before).total_seconds() <= 35


@pytest.fixture
def discord_fake(discord: Any) -> Any:
    return discord
