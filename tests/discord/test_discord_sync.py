"""`manage.py discord_sync`: the requests as the stand-in Discord receives them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from community.commands import COMMANDS
from tests.auth.conftest import CLIENT_ID
from tests.discord.conftest import BOT_TOKEN, GUILD_ID


def test_registers_global_commands_and_role_metadata(discord):
    out = StringIO()
    call_command("discord_sync", stdout=out)
    commands, metadata = discord.received
    assert (commands.method, commands.path) == ("PUT", f"/api/applications/{CLIENT_ID}/commands")
    assert commands.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert [c["name"] for c in commands.body] == [
        "log",
        "profile",
        "rank",
        "leaderboard",
        "league",
        "streak",
        "events",
        "join",
        "quests",
        "quest",
        "goal",
    ]
    log = commands.body[0]
    assert [(o["name"], o["type"], o.get("required", False), o.get("autocomplete", False)) for o in log["options"]] == [
        ("activity", 3, True, True),
        ("units", 10, True, False),
        ("note", 3, False, False),
    ]
    assert (metadata.method, metadata.path) == ("PUT", f"/api/applications/{CLIENT_ID}/role-connections/metadata")
    assert metadata.headers["Authorization"] == f"Bot {BOT_TOKEN}"
    assert [(m["key"], m["type"]) for m in metadata.body] == [
        ("level", 2),
        ("reality_layer", 2),
        ("cyber_layer", 2),
        ("reality_league", 2),
        ("cyber_league", 2),
    ]
    assert "/log, /profile, /rank, /leaderboard, /league, /streak, /events, /join" in out.getvalue()


def test_guild_commands_with_an_explicit_application_id(discord, settings):
    settings.DISCORD_APPLICATION_ID = "999999999999999999"
    call_command("discord_sync", "--guild", GUILD_ID, "--skip-metadata", stdout=StringIO())
    [only] = discord.received
    assert only.path == f"/api/applications/999999999999999999/guilds/{GUILD_ID}/commands"
    assert only.body == COMMANDS


def test_twice_sends_the_same_overwrite(discord):
    call_command("discord_sync", stdout=StringIO())
    call_command("discord_sync", stdout=StringIO())
    first, _, second, _ = discord.received
    assert first.body == second.body


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ("no_token", "DISCORD_BOT_TOKEN"),
        ("rate_limited", "try again in 3 s"),
        ("refused", "refused"),
        ("down", "unavailable"),
        ("bad_guild", "--guild"),
    ],
)
def test_failures_are_clear(discord, settings, setup, words):
    args: list[str] = []
    path = f"/api/applications/{CLIENT_ID}/commands"
    if setup == "no_token":
        settings.DISCORD_BOT_TOKEN = ""
    elif setup == "rate_limited":
        discord.fail_next(path, 429, {"message": "You are being rate limited.", "retry_after": 3})
    elif setup == "refused":
        discord.fail_next(path, 400, {"message": "Invalid Form Body", "code": 50035})
    elif setup == "down":
        discord.fail_next(path, 500, {"message": "oops"})
    else:
        args = ["--guild", "12"]
    with pytest.raises(CommandError, match=words):
        call_command("discord_sync", *args, stdout=StringIO())
