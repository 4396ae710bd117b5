"""What `discord_sync` registers: the slash commands and the Linked Roles metadata.

Option and metadata types are Discord's numbers (application command option types; role
connection metadata type 2 is INTEGER_GREATER_THAN_OR_EQUAL). Leagues are pushed as integers,
Bronze 1 ... Ultra 6 (LEAGUE_NUMBER), so a server can require e.g. "reality league ≥ 3" (Gold).
"""

from __future__ import annotations

from typing import Any

from community import quest_commands
from core.constants.leagues import LEAGUES
from core.constants.modes import MODES

STRING, INTEGER, USER, NUMBER = 3, 4, 6, 10
INTEGER_GREATER_THAN_OR_EQUAL = 2
CHAT_INPUT = 1

_MODE_CHOICES = [{"name": mode.capitalize(), "value": mode} for mode in MODES]
_LEAGUE_CHOICES = [{"name": league.capitalize(), "value": league} for league in LEAGUES]
_CONTEXTS = {"contexts": [0, 1, 2], "integration_types": [0]}  # servers, the bot's DMs, group DMs

COMMANDS: list[dict[str, Any]] = [
    {
        "name": "log",
        "type": CHAT_INPUT,
        "description": "Log an activity and earn XP",
        "options": [
            {
                "type": STRING,
                "name": "activity",
                "description": "What you did",
                "required": True,
                "autocomplete": True,
            },
            {
                "type": NUMBER,
                "name": "units",
                "description": "How much (km, minutes, ... as the activity counts)",
                "required": True,
                "min_value": 0.01,
            },
            {"type": STRING, "name": "note", "description": "A note for your log", "max_length": 500},
        ],
        **_CONTEXTS,
    },
    {
        "name": "profile",
        "type": CHAT_INPUT,
        "description": "XP, level, layers and leagues",
        "options": [{"type": USER, "name": "member", "description": "Someone else's profile"}],
        **_CONTEXTS,
    },
    {
        "name": "rank",
        "type": CHAT_INPUT,
        "description": "Your rank this season",
        "options": [{"type": STRING, "name": "mode", "description": "Reality or cyber", "choices": _MODE_CHOICES}],
        **_CONTEXTS,
    },
    {
        "name": "leaderboard",
        "type": CHAT_INPUT,
        "description": "This season's leaderboard",
        "options": [
            {"type": STRING, "name": "mode", "description": "Reality or cyber", "choices": _MODE_CHOICES},
            {"type": STRING, "name": "league", "description": "Only one league", "choices": _LEAGUE_CHOICES},
        ],
        **_CONTEXTS,
    },
    {
        "name": "league",
        "type": CHAT_INPUT,
        "description": "Your league cohort this season: who you compete with, who moves up and down",
        "options": [{"type": STRING, "name": "mode", "description": "Reality or cyber", "choices": _MODE_CHOICES}],
        **_CONTEXTS,
    },
    {"name": "streak", "type": CHAT_INPUT, "description": "Your streaks, freezes and when they end", **_CONTEXTS},
    {"name": "events", "type": CHAT_INPUT, "description": "Upcoming events and dungeons", **_CONTEXTS},
    {
        "name": "join",
        "type": CHAT_INPUT,
        "description": "Join an event or dungeon",
        "options": [
            {
                "type": INTEGER,
                "name": "event",
                "description": "The event",
                "required": True,
                "autocomplete": True,
            }
        ],
        **_CONTEXTS,
    },
]

COMMANDS += quest_commands.COMMANDS  # /quests, /quest join, /goal

ROLE_METADATA: list[dict[str, Any]] = [
    {
        "key": "level",
        "name": "Level",
        "description": "Level at least",
        "type": INTEGER_GREATER_THAN_OR_EQUAL,
    },
    {
        "key": "reality_layer",
        "name": "Reality layer",
        "description": "Reality layer at least (0 Base ... 4 Ultra)",
        "type": INTEGER_GREATER_THAN_OR_EQUAL,
    },
    {
        "key": "cyber_layer",
        "name": "Cyber layer",
        "description": "Cyber layer at least (0 Surface-Web ... 4 VOID)",
        "type": INTEGER_GREATER_THAN_OR_EQUAL,
    },
    {
        "key": "reality_league",
        "name": "Reality league",
        "description": "Reality league at least (1 Bronze ... 6 Ultra)",
        "type": INTEGER_GREATER_THAN_OR_EQUAL,
    },
    {
        "key": "cyber_league",
        "name": "Cyber league",
        "description": "Cyber league at least (1 Bronze ... 6 Ultra)",
        "type": INTEGER_GREATER_THAN_OR_EQUAL,
    },
]
