"""Discord commands for quests: ``/quests`` (the player's goals and the open challenges with
progress bars), ``/quest join challenge:<id>`` (autocompleted) and ``/goal activity target days``.
Reads through the quest selectors, writes through the quest services (the same rules and
refusals as the API)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from community import embeds
from community.context import Context, Refused, reply
from core.constants.quests import GOAL_MAX_DAYS
from core.exceptions import AccountDisabled
from core.selectors.quests import quests as quest_selectors
from core.services.quests import participation as quest_service
from core.utils.dates import utc_now
from quests.models import Quest

SUBCOMMAND, STRING, INTEGER, NUMBER = 1, 3, 4, 10
BAR_WIDTH = 10
MAX_CHOICES = 25
_CONTEXTS = {"contexts": [0, 1, 2], "integration_types": [0]}

COMMANDS: list[dict[str, Any]] = [
    {"name": "quests", "type": 1, "description": "Your goals and the open challenges", **_CONTEXTS},
    {
        "name": "quest",
        "type": 1,
        "description": "Challenges",
        "options": [
            {
                "type": SUBCOMMAND,
                "name": "join",
                "description": "Join a challenge",
                "options": [
                    {
                        "type": INTEGER,
                        "name": "challenge",
                        "description": "The challenge",
                        "required": True,
                        "autocomplete": True,
                    }
                ],
            }
        ],
        **_CONTEXTS,
    },
    {
        "name": "goal",
        "type": 1,
        "description": "Set yourself a goal",
        "options": [
            {
                "type": STRING,
                "name": "activity",
                "description": "What you will do",
                "required": True,
                "autocomplete": True,
            },
            {"type": NUMBER, "name": "target", "description": "How much in all", "required": True, "min_value": 0.01},
            {
                "type": INTEGER,
                "name": "days",
                "description": "Days to reach it",
                "required": True,
                "min_value": 1,
                "max_value": GOAL_MAX_DAYS,
            },
            {"type": STRING, "name": "title", "description": "A name for your goal", "max_length": 120},
        ],
        **_CONTEXTS,
    },
]


def bar(percent: int) -> str:
    filled = max(0, min(BAR_WIDTH, percent * BAR_WIDTH // 100))
    return "▰" * filled + "▱" * (BAR_WIDTH - filled) + f" {percent}%"


def _line(card: quest_selectors.QuestCard) -> dict[str, Any]:
    quest = card.quest
    what = quest.activity.name if quest.activity_id else f"{quest.mode} XP"  # type: ignore[union-attr]
    value = f"{embeds.number(quest.target)} {what} · ends {embeds.when(quest.ends_at)} · reward {embeds.number(quest.reward_xp)} XP"
    if card.progress is not None:
        value += f"\n{bar(card.progress['percent'])} ({card.state})"
    elif quest.kind == Quest.CHALLENGE:
        value += f"\nJoin: `/quest join challenge:{quest.pk}`"
    return {"name": f"{quest.title} ({quest.kind}, #{quest.pk})"[:256], "value": value[:1024]}


def quests(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    user = ctx.account()
    listed = list(quest_selectors.visible_quests(user)[:10])
    cards = quest_selectors.cards(listed, user)
    if not cards:
        body = {
            "title": "Quests",
            "description": "No open challenges. Set a goal with /goal.",
            "color": embeds.COLOR_INFO,
        }
    else:
        body = {"title": "Quests", "color": embeds.COLOR_INFO, "fields": [_line(c) for c in cards]}
    return reply(embeds.message(body))


def quest(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    sub = _subcommand(ctx.interaction.get("data") or {})
    if sub is None or sub[0] != "join":
        raise Refused("Use /quest join and pick a challenge as you type.")
    raw = sub[1].get("challenge")
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise Refused("Pick a challenge from the list as you type.")
    with transaction.atomic():
        user = _player(ctx)
        participation = quest_service.join_challenge(user=user, quest_id=quest_service.parse_quest_id(str(raw)))
    card = quest_selectors.cards([participation.quest], user)[0]
    return reply(embeds.message({"title": "Challenge joined", "color": embeds.COLOR_OK, "fields": [_line(card)]}))


def goal(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    activity = options.get("activity")
    if not isinstance(activity, str) or not activity:
        raise Refused("Pick an activity from the list as you type.")
    try:
        target = Decimal(options.get("target"))  # type: ignore[arg-type]
    except (InvalidOperation, TypeError, ValueError):
        raise Refused("The target must be a number, like 100 or 42.5.") from None
    if (
        not target.is_finite()
        or target <= 0
        or target != target.quantize(Decimal("0.01"))
        or target > Decimal("999999999999")
    ):
        raise Refused("The target must be more than zero, with at most two decimals.")
    days = options.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= GOAL_MAX_DAYS:
        raise Refused("Pick between 1 and %(max_days)s days.", max_days=GOAL_MAX_DAYS)
    title = options.get("title") or f"{target.normalize():f} {activity}"
    if not isinstance(title, str) or len(title) > 120:
        raise Refused("A title can be at most 120 characters.")
    with transaction.atomic():
        user = _player(ctx)
        participation = quest_service.create_goal(
            user=user, title=title, activity=activity, target=target, ends_at=utc_now() + timedelta(days=days)
        )
    card = quest_selectors.cards([participation.quest], user)[0]
    return reply(embeds.message({"title": "Goal set", "color": embeds.COLOR_OK, "fields": [_line(card)]}))


def _player(ctx: Context) -> Any:
    user = ctx.account(create=True)
    assert user is not None
    if not user.is_active:
        raise AccountDisabled()
    return user


def _subcommand(data: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    options = data.get("options") or []
    if not isinstance(options, list) or not options or not isinstance(options[0], dict):
        return None
    sub = options[0]
    inner = sub.get("options") or []
    values = {o["name"]: o.get("value") for o in inner if isinstance(o, dict) and isinstance(o.get("name"), str)}
    return str(sub.get("name")), values


def autocomplete(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Choices for ``/quest join challenge`` (open challenges by title); None: not ours."""
    if data.get("name") != "quest":
        return None
    options = data.get("options") or []
    inner = options[0].get("options") if isinstance(options, list) and options and isinstance(options[0], dict) else []
    focused = next((o for o in inner or [] if isinstance(o, dict) and o.get("focused")), None)
    if focused is None or focused.get("name") != "challenge":
        return []
    typed = str(focused.get("value") or "").strip()[:50]
    qs = quest_selectors.visible_quests(None, kind=Quest.CHALLENGE)
    if typed:
        qs = qs.filter(title__icontains=typed)
    return [{"name": f"{q.title} ({q.mode})"[:100], "value": q.pk} for q in qs[:MAX_CHOICES]]


HANDLERS = {"quests": quests, "quest": quest, "goal": goal}
