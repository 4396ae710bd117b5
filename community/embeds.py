"""Discord messages (embeds and buttons) built from what the selectors and services return.
Pure formatting: no queries, no writes.

Every text a player, an admin or Discord supplied (names, notes, event and activity names) goes
through ``escape`` before it is put in a message: Markdown, masked links, mentions, headings and
quotes show as the characters typed (docs/discord.md).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeGuard

from babel.numbers import format_decimal
from django.conf import settings
from django.utils import translation

from core.constants.layers import BY_CODE, LADDERS
from core.constants.modes import MODES

EPHEMERAL = 64
COLOR_OK, COLOR_INFO, COLOR_ERROR, COLOR_CELEBRATE = 0x2ECC71, 0x3498DB, 0xE74C3C, 0xF1C40F
BUTTON, ACTION_ROW, SECONDARY = 2, 1, 2


# Everything Discord's Markdown gives a meaning to: emphasis, code, spoilers, quotes, headings,
# lists, masked links [text](url), mentions <@id> and @everyone, emoji :name:, and the escape
# itself. Discord drops a backslash before any ASCII punctuation, so the text reads as typed.
_MARKDOWN = re.compile(r"([\\*_~`|>#\-\[\]()<@:])")


def escape(text: object) -> str:
    """``text`` for a Discord message: shown literally, never as Markdown, a link or a mention."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def number(value: int | Decimal) -> str:
    """``value`` written for the answer's language (the active translation): 5,809 and 5.25 in
    English, 5.809 and 5,25 in German; a decimal without trailing zeros (1000.00 is 1,000)."""
    if isinstance(value, Decimal):
        value = value.normalize()
    return format_decimal(value, locale=_babel_locale(), decimal_quantization=False)


def _babel_locale() -> str:
    return (translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_").split("_")[0]


def when(moment: datetime) -> str:
    """A Discord timestamp: each reader sees it in their own time zone."""
    return f"<t:{int(moment.timestamp())}:f> (<t:{int(moment.timestamp())}:R>)"


def layer_name(code: str) -> str:
    layer = BY_CODE.get(code)
    return f"{code} {layer.name}" if layer else code


def message(*embeds: dict[str, Any], components: list[Any] | None = None, ephemeral: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"embeds": list(embeds), "allowed_mentions": {"parse": []}}
    if components is not None:
        data["components"] = components
    if ephemeral:
        data["flags"] = EPHEMERAL
    return data


def error(text: str) -> dict[str, Any]:
    return message({"description": text, "color": COLOR_ERROR}, ephemeral=True)


def award(result: Any, *, activity_name: str, unit: str, level: Any) -> dict[str, Any]:
    """The answer to /log: XP, level (``level_progress``), and the level-up / layer-up it caused."""
    entry = result.entry
    fields = [
        {"name": "Level", "value": f"{level.current} ({round(level.progress * 100)} %)", "inline": True},
        {"name": "Total XP", "value": number(result.profile.total_xp), "inline": True},
    ]
    celebrate = False
    if result.level_up:
        fields.append({"name": "Level up!", "value": f"{result.level_up.from_level} → {result.level_up.to_level}"})
        celebrate = True
    if result.layer_up:
        fields.append(
            {
                "name": f"New {result.layer_up.mode} layer!",
                "value": f"{layer_name(result.layer_up.from_layer.code)} → {layer_name(result.layer_up.to_layer.code)}",
            }
        )
        celebrate = True
    embed = {
        "title": f"+{number(entry.xp)} XP · {escape(activity_name)}",
        "description": f"{number(entry.units)} {escape(unit)}"
        + (f"\n> {escape(' '.join(entry.note.split()))}" if entry.note else ""),
        "color": COLOR_CELEBRATE if celebrate else COLOR_OK,
        "fields": fields,
    }
    if result.duplicate:
        embed["footer"] = {"text": "Already logged: sending it again adds nothing."}
    return message(embed)


def profile(summary: dict[str, Any]) -> dict[str, Any]:
    level = summary["level"]
    nxt = level["xp_for_next_level"]
    fields = [
        {
            "name": "Level",
            "value": f"**{level['current']}** ({round(level['progress'] * 100)} %"
            + (f", {number(nxt)} XP to go)" if nxt is not None else ")"),
            "inline": True,
        },
        {
            "name": "XP",
            "value": f"{number(summary['xp']['total'])} (reality {number(summary['xp']['reality'])}, "
            f"cyber {number(summary['xp']['cyber'])})",
            "inline": True,
        },
    ]
    for mode in MODES:
        layer = summary["layers"][mode]
        rank = summary["season"][mode]["rank"]
        fields.append(
            {
                "name": mode.capitalize(),
                "value": f"Layer {layer['code']} {layer['name']} · {summary['leagues'][mode].capitalize()} league\n"
                f"Season {summary['season']['id']}: {number(summary['season'][mode]['xp'])} XP"
                + (f", rank #{rank}" if rank else ""),
            }
        )
    embed: dict[str, Any] = {"title": escape(summary["display_name"]), "color": COLOR_INFO, "fields": fields}
    if summary.get("avatar_url"):
        embed["thumbnail"] = {"url": summary["avatar_url"]}
    return message(embed)


def rank(summary: dict[str, Any], modes: tuple[str, ...]) -> dict[str, Any]:
    season = summary["season"]
    lines = []
    for mode in modes:
        standing = season[mode]
        league = summary["leagues"][mode].capitalize()
        if standing["rank"]:
            lines.append(
                f"**{mode.capitalize()}**: #{standing['rank']} · {number(standing['xp'])} XP · {league} league"
            )
        else:
            lines.append(f"**{mode.capitalize()}**: not on the board yet (no XP this season) · {league} league")
    return message(
        {
            "title": f"{escape(summary['display_name'])} · season {season['id']}",
            "description": "\n".join(lines),
            "color": COLOR_INFO,
        }
    )


def leaderboard(board: Any, *, page: int, custom_id: Any) -> dict[str, Any]:
    """A page of a board with ◀ / ▶ buttons (``custom_id(page)`` names each button's page)."""
    title = f"{board.mode.capitalize()} leaderboard · {board.season_id}"
    if board.league:
        title += f" · {board.league.capitalize()}"
    lines = [
        f"**#{row.rank}** {escape(row.display_name or row.username or row.user_id)} — {number(row.xp)} XP · "
        f"level {row.level} · {row.layer}"
        for row in board.rows
    ]
    embed: dict[str, Any] = {
        "title": title,
        "description": "\n".join(lines) if lines else "Nobody on this board yet. Be the first: /log",
        "color": COLOR_INFO,
        "footer": {"text": f"Page {page}"},
    }
    if board.me is not None:
        embed["footer"]["text"] += f" · you: #{board.me.rank} with {number(board.me.xp)} XP"
    buttons = [
        {
            "type": BUTTON,
            "style": SECONDARY,
            "label": "◀ Previous",
            "custom_id": custom_id(page - 1),
            "disabled": page <= 1,
        },
        {
            "type": BUTTON,
            "style": SECONDARY,
            "label": "Next ▶",
            "custom_id": custom_id(page + 1),
            "disabled": not board.has_next,
        },
    ]
    return message(embed, components=[{"type": ACTION_ROW, "components": buttons}])


def cohort(board: Any, *, mode: str, season_id: str, ends_at: datetime) -> dict[str, Any]:
    """/league: the player's cohort (``core.selectors.seasons.cohort.CohortBoard``), zones marked."""
    group = board.cohort
    lines = []
    for row in board.rows:
        mark = "⬆️ " if row.promotion_zone else "⬇️ " if row.demotion_zone else ""
        name = row.display_name or row.username
        if board.me is not None and row.user_id == board.me.user_id:
            name = f"__{name}__"
        lines.append(f"{mark}**#{row.rank}** {name} — {number(row.xp)} XP")
    me = board.me
    standing = f"you: #{me.rank} with {number(me.xp)} XP" if me is not None and me.rank else "you: no XP yet"
    return message(
        {
            "title": f"{mode.capitalize()} · {group.league.capitalize()} league · cohort {group.number} · {season_id}",
            "description": "\n".join(lines) if lines else "Nobody in this cohort has XP yet.",
            "color": COLOR_INFO,
            "fields": [
                {"name": "Moves up", "value": f"top {board.promotes}", "inline": True},
                {"name": "Moves down", "value": f"bottom {board.demotes}", "inline": True},
                {"name": "Season ends", "value": when(ends_at), "inline": False},
            ],
            "footer": {"text": f"{len(board.rows)} of {group.capacity} players with XP · {standing}"},
        }
    )


def events(rows: list[tuple[Any, Any]], *, signed_in: bool) -> dict[str, Any]:
    """Upcoming events; each row is (event, gate or None)."""
    if not rows:
        return message({"title": "Events", "description": "No upcoming events right now.", "color": COLOR_INFO})
    fields = []
    for event, gate in rows:
        seats = (
            f"{event.participant_count}/{event.capacity}"
            if event.capacity is not None
            else str(event.participant_count)
        )
        status = ""
        if gate is not None:
            if getattr(event, "joined", False):
                status = "\n✅ You're in."
            elif gate.passed:
                status = f"\nOpen to you: `/join event:{event.pk}`"
            else:
                status = f"\n🔒 Needs {layer_name(gate.required.code)} ({number(gate.missing_xp)} XP to go)"
        fields.append(
            {
                "name": f"{escape(event.name)} ({event.kind}, #{event.pk})",
                "value": f"{event.mode.capitalize()} · from {layer_name(event.required_layer)} · seats {seats}\n"
                f"Starts {when(event.starts_at)}{status}",
            }
        )
    footer = {} if signed_in else {"footer": {"text": "Log an activity with /log to see which events are open to you."}}
    return message({"title": "Events", "color": COLOR_INFO, "fields": fields[:25], **footer})


def joined(event: Any) -> dict[str, Any]:
    return message(
        {
            "title": f"You joined {escape(event.name)}",
            "description": f"Starts {when(event.starts_at)}.",
            "color": COLOR_OK,
        }
    )


# --- announcements ----------------------------------------------------------------------------


def level_up_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Level up!",
        "description": f"**{escape(name)}** reached level **{escape(data.get('to'))}**.",
        "color": COLOR_CELEBRATE,
    }


def quest_completed_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    named = data.get("quest")
    quest: dict[str, Any] = named if isinstance(named, dict) else {}
    kind = "challenge" if quest.get("kind") == "challenge" else "goal"
    reward = data.get("reward_xp")
    paid = f" (+{number(reward)} XP)" if _is_int(reward) and reward else ""
    return {
        "title": f"{kind.capitalize()} completed!",
        "description": f"**{escape(name)}** completed **{escape(str(quest.get('title') or kind)[:200])}**{paid}.",
        "color": COLOR_CELEBRATE,
    }


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _claimed(data: dict[str, Any], activity: Any) -> str:
    """What a claim asks for: "100 km of Cycling" (the activity as the catalogue names it)."""
    try:
        units = number(Decimal(str(data.get("units"))))
    except ArithmeticError:
        units = escape(data.get("units"))
    if activity is None:
        return f"{units} {escape(data.get('activity'))}"
    return f"{units} {escape(activity.unit)} of {escape(activity.name)}"


def claim_submitted_announcement(name: str, data: dict[str, Any], activity: Any = None) -> dict[str, Any]:
    """A claim held for review: who claims what, why it is held, and that the community votes."""
    xp = data.get("xp")
    worth = f" ({number(xp)} XP)" if _is_int(xp) else ""
    reason = str(data.get("reason") or "").replace("_", " ")
    return {
        "title": f"Claim #{escape(data.get('claim_id'))} held for review",
        "description": f"**{escape(name)}** claims {_claimed(data, activity)}{worth}"
        + (f", held because: {escape(reason)}" if reason else "")
        + ". Eligible players can vote on it.",
        "color": COLOR_INFO,
    }


def claim_decided_announcement(name: str, data: dict[str, Any], activity: Any = None) -> dict[str, Any]:
    """A claim decided by the community or a moderator: approved with the XP awarded, or rejected."""
    approved = data.get("state") == "approved"
    by = "a moderator" if data.get("via") == "moderator" else "the community"
    xp = data.get("xp")
    if approved:
        outcome = f"approved by {by}: **+{number(xp)} XP**" if _is_int(xp) else f"approved by {by}"
    else:
        outcome = f"rejected by {by}: no XP"
    return {
        "title": f"Claim #{escape(data.get('claim_id'))} {'approved' if approved else 'rejected'}",
        "description": f"**{escape(name)}**'s claim of {_claimed(data, activity)} was {outcome}.",
        "color": COLOR_OK if approved else COLOR_ERROR,
    }


def layer_up_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    mode = str(data.get("mode") or "")
    to = data.get("to")
    if isinstance(to, int) and not isinstance(to, bool) and mode in LADDERS and 0 <= to < len(LADDERS[mode]):
        to = LADDERS[mode][to].code  # a layer given by its order
    return {
        "title": f"New {escape(mode)} layer!".replace("  ", " "),
        "description": f"**{escape(name)}** entered **{escape(layer_name(str(to)))}**.",
        "color": COLOR_CELEBRATE,
    }


def achievement_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    tier = str(data.get("tier") or "")
    return {
        "title": "Achievement unlocked!",
        "description": f"**{escape(name)}** unlocked **{escape(data.get('name'))}**"
        + (f" ({escape(tier)})" if tier else "")
        + ".",
        "color": COLOR_CELEBRATE,
    }


def streak_milestone_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "Streak milestone!",
        "description": f"**{escape(name)}** kept a {escape(data.get('mode'))} streak for "
        f"**{escape(data.get('days'))} days**.",
        "color": COLOR_CELEBRATE,
    }


def boost_announcement(data: dict[str, Any]) -> dict[str, Any]:
    scope = data.get("activity") or data.get("mode") or "all"
    ends_at = data.get("ends_at")
    until = ""
    if isinstance(ends_at, str):
        try:
            until = f" until {when(datetime.fromisoformat(ends_at))}"
        except ValueError:
            until = ""
    return {
        "title": f"XP boost: {escape(data.get('name'))}",
        "description": f"x{escape(data.get('multiplier'))} XP for {escape(scope)}{until}.",
        "color": COLOR_CELEBRATE,
    }


def streaks(name: str, document: dict[str, Any]) -> dict[str, Any]:
    """The answer to /streak: each mode's current and longest streak, freezes, when it ends."""
    fields = []
    for mode in MODES:
        streak = document[mode]
        value = f"{streak['current']} days (longest {streak['longest']}) · freezes {streak['freezes']}"
        if streak["current"]:
            value += "\n" + ("Done today" if streak["today_done"] else "Not yet today")
            if streak["ends_at"]:
                value += f" · ends {when(streak['ends_at'])}"
        fields.append({"name": mode.capitalize(), "value": value})
    return message({"title": f"{name} · streaks", "color": COLOR_INFO, "fields": fields})


def streak_reminder(mode: str, ends_at: datetime) -> dict[str, Any]:
    return {
        "title": "Keep your streak",
        "description": f"Your {mode} streak ends {when(ends_at)}: log an activity to keep it.",
        "color": COLOR_INFO,
    }


def promotion_announcement(name: str, data: dict[str, Any]) -> dict[str, Any]:
    mode = str(data.get("mode") or "")
    return {
        "title": "Promotion!",
        "description": f"**{escape(name)}** moved up to the **{escape(str(data.get('to')).capitalize())}** "
        f"{escape(mode)} league.".replace("  ", " "),
        "color": COLOR_CELEBRATE,
    }


def season_top_announcement(season_id: str, boards: dict[str, list[Any]]) -> dict[str, Any]:
    medals = ["🥇", "🥈", "🥉"]
    fields = []
    for mode, rows in boards.items():
        lines = [
            f"{medals[min(row.rank, 3) - 1]} {escape(row.display_name or row.username)} — {number(row.xp)} XP"
            for row in rows[:3]
        ]
        fields.append({"name": mode.capitalize(), "value": "\n".join(lines) or "Nobody scored."})
    return {"title": f"Season {season_id} is over: the top 3", "color": COLOR_CELEBRATE, "fields": fields}
