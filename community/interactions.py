"""Discord interactions (already verified by the view): PING, slash commands, buttons and
autocomplete. ``handle`` returns the interaction response body.

Reads go through the selectors, writes through the services. Every refusal a player can cause
becomes an ephemeral message in plain words (``refusal``).

What is answered later (type 5 / 6, then a follow-up job that edits the original message):
/leaderboard and its page buttons whenever the Redis rank index of that board is not ready (no
Redis, Redis down, or a board waiting for a rebuild), because the database path has no bound on
its time for a large board and Discord waits only 3 seconds. Everything else is a few indexed
queries (``/log`` is one SQL statement) and is answered at once.
"""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext

from claims.models import Claim
from community import claims as discord_claims
from community import embeds, quest_commands
from community.context import CHANNEL_MESSAGE, Context, Refused, reply
from core.constants.leagues import LEAGUES
from core.constants.levels import level_progress
from core.constants.modes import MODES
from core.exceptions import AccountDisabled, DomainError, InvalidInteraction
from core.selectors.accounts.profile import profile_summary
from core.selectors.achievements.achievements import streaks_document
from core.selectors.seasons import rank_keys
from core.selectors.seasons.cohort import cohort_board
from core.selectors.seasons.leaderboard import leaderboard as leaderboard_page
from core.services import claims as claim_service
from core.services.claims import Held
from core.services.discord import members
from core.services.layers import layer_service
from core.services.seasons import cohorts, rank_index
from core.services.xp.for_discord_user import award_xp_to_discord_user
from core.utils.dates import SEASON_ID_RE, month_bounds, season_id_for, utc_now
from core.utils.jobs import defer_job
from showcase.links import with_card
from ultrabackend import redis as r
from xp.models import ActivityType

logger = logging.getLogger(__name__)

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE = 1, 2, 3, 4
PONG, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE, AUTOCOMPLETE_RESULT = 1, 5, 6, 7, 8
PAGE_SIZE = 10
FINISH_LEADERBOARD_TASK = "community.tasks.finish_leaderboard"
MAX_CHOICES = 25
LEADERBOARD_ID = re.compile(r"^lb:(reality|cyber):(-|[a-z]{1,10}):(\d{4}-\d{2}):([1-9][0-9]{0,5})$")
MAX_UNITS = Decimal("9999999999.99")


# --- entry point ------------------------------------------------------------------------------


def handle(interaction: Any) -> dict[str, Any]:
    if not isinstance(interaction, dict) or not isinstance(interaction.get("type"), int):
        raise InvalidInteraction("An interaction is a JSON object with a type.")
    kind = interaction["type"]
    if kind == PING:
        return {"type": PONG}
    data = interaction.get("data")
    if not isinstance(data, dict):
        raise InvalidInteraction("The interaction has no data.")
    if kind == AUTOCOMPLETE:
        return {"type": AUTOCOMPLETE_RESULT, "data": {"choices": autocomplete(data)}}
    if kind not in (APPLICATION_COMMAND, MESSAGE_COMPONENT):
        raise InvalidInteraction(f"Unknown interaction type {kind}.")
    # Words and numbers in the reader's language (English or German), refusals and answers alike.
    with translation.override(language_of(interaction)):
        try:
            if kind == APPLICATION_COMMAND:
                handler = COMMANDS.get(str(data.get("name")))
                if handler is None:
                    raise Refused("I don't know this command (yet). An admin can run `discord_sync` to update them.")
                return handler(Context(interaction), options_of(data))
            return component(Context(interaction), data)
        except InvalidInteraction:
            raise  # not the player's doing: the view answers 400
        except DomainError as exc:
            return {"type": CHANNEL_MESSAGE, "data": embeds.error(refusal(exc))}


def options_of(data: dict[str, Any]) -> dict[str, Any]:
    options = data.get("options") or []
    if not isinstance(options, list):
        raise InvalidInteraction("Options must be a list.")
    return {o["name"]: o.get("value") for o in options if isinstance(o, dict) and isinstance(o.get("name"), str)}


# --- /log -------------------------------------------------------------------------------------


def log(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    key = options.get("activity")
    if not isinstance(key, str) or not key:
        raise Refused("Pick an activity from the list as you type.")
    units = _units(options.get("units"))
    note = options.get("note") or ""
    if not isinstance(note, str) or len(note) > 500:
        raise Refused("A note can be at most 500 characters.")
    user, result = award_xp_to_discord_user(
        discord_id=str(ctx.discord_user["id"]),
        activity=key,
        units=units,
        note=note,
        source="discord",
        # Discord's interaction id: the same interaction delivered again adds nothing.
        idempotency_key=f"discord:{ctx.id}" if ctx.id else None,
    )
    members.name_account(user, ctx.discord_user)
    members.remember_member(ctx.guild_id, user)
    if isinstance(result, Held):  # above what one entry is believed without a check
        return reply(discord_claims.held_message(result.claim))
    activity = result.entry.activity
    level = level_progress(result.profile.total_xp)
    return reply(embeds.award(result, activity_name=activity.name, unit=activity.unit, level=level))


def _units(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise Refused("Units must be a number, like 5 or 5.3.")
    units = Decimal(value)
    if abs(units) > MAX_UNITS:
        raise Refused("That is far more than one entry allows.")
    if units != units.quantize(Decimal("0.01")):
        raise Refused("Units can have at most two decimals, like 5.25.")
    return units


# --- /profile, /rank --------------------------------------------------------------------------


def profile(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    member = options.get("member")
    if member is not None and str(member) != str(ctx.discord_user["id"]):
        target = members.account_for({"id": str(member)}, create=False)
        ctx.account()  # the reader is seen in this server too
        if target is None:
            name = members.discord_name(ctx.resolved_users.get(str(member)) or {})
            if not name:
                raise Refused("This member has no iGoUltra profile yet: their first /log creates it.")
            raise Refused("%(name)s has no iGoUltra profile yet: their first /log creates it.", name=name)
        if not target.public:  # hidden from public pages: from other members too (docs/showcase.md)
            raise Refused("This member keeps their iGoUltra profile private.")
    else:
        target = ctx.account()
        if target is None:
            raise Refused("You have no profile yet. Log your first activity with /log and it starts.")
    summary = profile_summary(target)
    return reply(with_card(embeds.profile(summary), target, summary, mode=MODES[0], lang=language_of(ctx.interaction)))


def rank(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    modes = _modes(options.get("mode"))
    user = ctx.account()
    if user is None:
        raise Refused("You are not on the board yet. Log an activity with /log to get a rank.")
    summary = profile_summary(user)
    return reply(
        with_card(embeds.rank(summary, modes), user, summary, mode=modes[0], lang=language_of(ctx.interaction))
    )


def _modes(value: Any) -> tuple[str, ...]:
    if value is None:
        return MODES
    if value not in MODES:
        raise Refused("The mode is reality or cyber.")
    return (str(value),)


def league(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    """/league [mode]: the player's cohort this season (reality unless asked)."""
    mode = _modes(options.get("mode"))[0]
    user = ctx.account()
    season_id = season_id_for(utc_now())
    board = cohort_board(user_id=user.pk, season_id=season_id, mode=mode, closed=False) if user else None
    if user is not None and board is not None and board.waiting is not None:
        cohorts.assign(season_id=season_id, mode=mode, league=board.waiting[0], user_id=user.pk)
        board = cohort_board(user_id=user.pk, season_id=season_id, mode=mode, closed=False)
    if board is None or board.cohort is None:
        raise Refused("You are in no league cohort yet this season. Log an activity with /log to join one.")
    return reply(embeds.cohort(board, mode=mode, season_id=season_id, ends_at=month_bounds(season_id)[1]))


# --- /leaderboard and its buttons -------------------------------------------------------------


def leaderboard_command(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    mode = options.get("mode") or "reality"
    if mode not in MODES:
        raise Refused("The mode is reality or cyber.")
    league = options.get("league")
    if league is not None and league not in LEAGUES:
        raise Refused("That league does not exist.")
    return _board_answer(ctx, mode=str(mode), league=league, season_id=season_id_for(utc_now()), page=1, update=False)


def component(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    claim_vote = discord_claims.vote_verdict(str(data.get("custom_id", "")))
    if claim_vote is not None:
        return review_vote(ctx, *claim_vote)
    match = LEADERBOARD_ID.match(str(data.get("custom_id", "")))
    if not match or (match.group(2) != "-" and match.group(2) not in LEAGUES) or not SEASON_ID_RE.match(match.group(3)):
        raise Refused("This button no longer works. Ask for a new /leaderboard.")
    mode, league, season_id, page = match.groups()
    return _board_answer(
        ctx, mode=mode, league=None if league == "-" else league, season_id=season_id, page=int(page), update=True
    )


def review_vote(ctx: Context, claim_id: int, verdict: str) -> dict[str, Any]:
    """A click on a review message's Approve/Reject button: the member's vote (the eligibility of
    the API's votes); the message is updated to the count (and outcome). A refusal is ephemeral."""
    user = ctx.account(create=False)
    if user is None:
        raise Refused("Only iGoUltra players can review claims: log an activity or sign in first.")
    if not user.is_active:
        raise AccountDisabled(discord_id=str(ctx.discord_user["id"]))
    result = claim_service.cast_vote(claim_id=claim_id, reviewer=user, verdict=verdict, reason="discord")
    claim = Claim.objects.select_related("activity", "user").get(pk=result.claim.pk)
    return {"type": UPDATE_MESSAGE, "data": discord_claims.review_message(claim)}


def board_id(mode: str, league: str | None, season_id: str):  # type: ignore[no-untyped-def]
    return lambda page: f"lb:{mode}:{league or '-'}:{season_id}:{max(page, 1)}"


def _board_answer(
    ctx: Context, *, mode: str, league: str | None, season_id: str, page: int, update: bool
) -> dict[str, Any]:
    viewer = ctx.account()
    if not index_ready(season_id, mode) and ctx.can_follow_up():
        # By task name: the job renders with this module (community/tasks.py imports it).
        defer_job(
            FINISH_LEADERBOARD_TASK,
            application_id=ctx.application_id,
            token=ctx.token,
            mode=mode,
            league=league,
            season_id=season_id,
            page=page,
            viewer_id=viewer.pk if viewer else None,
        )
        return {"type": DEFERRED_UPDATE if update else DEFERRED_CHANNEL_MESSAGE}
    body = leaderboard_message(
        mode=mode, league=league, season_id=season_id, page=page, viewer_id=viewer.pk if viewer else None
    )
    return {"type": UPDATE_MESSAGE if update else CHANNEL_MESSAGE, "data": body}


def leaderboard_message(
    *, mode: str, league: str | None, season_id: str, page: int, viewer_id: int | None
) -> dict[str, Any]:
    board = leaderboard_page(
        season_id=season_id, mode=mode, league=league, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, me_id=viewer_id
    )
    return embeds.leaderboard(board, page=page, custom_id=board_id(mode, league, season_id))


def index_ready(season_id: str, mode: str) -> bool:
    """Whether the Redis rank index answers this board now (else the database would)."""
    client = r.get_redis()
    if client is None:
        return False
    try:
        ready = bool(client.exists(rank_keys.ready_key(season_id, mode)))
    except r.REDIS_ERRORS:
        return False
    return ready and mode not in rank_index.boards_needing_repair(season_id)


# --- /events, /join ---------------------------------------------------------------------------


def events(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    user = ctx.account()
    listed = list(layer_service.listed_events(user=user)[:10])
    mode_xp = layer_service.mode_xp_of(user) if user else None
    rows = [(event, layer_service.gate_for(event, mode_xp[event.mode]) if mode_xp else None) for event in listed]
    return reply(embeds.events(rows, signed_in=user is not None))


def join(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    event_id = options.get("event")
    if isinstance(event_id, bool) or not isinstance(event_id, int | str) or not str(event_id).isdigit():
        raise Refused("Pick an event from the list as you type.")
    event = layer_service.get_event(str(event_id))
    with transaction.atomic():
        user = ctx.account(create=True)
        assert user is not None
        if not user.is_active:
            raise AccountDisabled()
        participation = layer_service.join_event(user=user, event=event)
    return reply(embeds.joined(participation.event))


# --- autocomplete -----------------------------------------------------------------------------


def autocomplete(data: dict[str, Any]) -> list[dict[str, Any]]:
    quest_choices = quest_commands.autocomplete(data)  # /quest join challenge (nested options)
    if quest_choices is not None:
        return quest_choices
    options = data.get("options") or []
    focused = (
        next((o for o in options if isinstance(o, dict) and o.get("focused")), None)
        if isinstance(options, list)
        else None
    )
    if focused is None:
        return []
    typed = str(focused.get("value") or "").strip()[:50]
    if data.get("name") in ("log", "goal") and focused.get("name") == "activity":
        qs = ActivityType.objects.filter(is_active=True)
        if typed:
            qs = qs.filter(Q(key__icontains=typed) | Q(name__icontains=typed))
        return [
            {"name": f"{a.name} ({a.mode}, per {a.unit})"[:100], "value": a.key}
            for a in qs.order_by("name", "key")[:MAX_CHOICES]
        ]
    if data.get("name") == "join" and focused.get("name") == "event":
        events = layer_service.listed_events()
        if typed:
            events = events.filter(name__icontains=typed)
        return [
            {"name": f"{e.name} ({e.mode}, from {e.required_layer})"[:100], "value": e.pk} for e in events[:MAX_CHOICES]
        ]
    return []


# --- refusals in a player's words -------------------------------------------------------------


def refusal(exc: DomainError) -> str:
    """The player's words for a refusal, in the interaction's language (English or German): the
    registered error's ``discord`` text, or its message (core/exceptions.py)."""
    # Numbers in the reader's language ("noch 5.809 XP", "höchstens 1.000").
    details = {key: _localized_number(key, value) for key, value in exc.details.items()}
    if exc.code == "layer_too_low":
        details["required_layer"] = embeds.layer_name(str(exc.details.get("required_layer")))
        details["current_layer"] = embeds.layer_name(str(exc.details.get("current_layer")))
    text = type(exc).discord or exc.message
    try:
        return gettext(text) % details if "%(" in text else gettext(text)
    except (KeyError, ValueError, TypeError):
        return gettext(exc.message)


NUMERIC_DETAILS = frozenset({"max_units_per_entry", "daily_unit_cap", "missing_xp", "capacity"})


def _localized_number(key: str, value: Any) -> Any:
    """A number of a refusal's details (the API sends them as decimal strings) in the active language."""
    if key not in NUMERIC_DETAILS or isinstance(value, bool):
        return embeds.escape(value) if isinstance(value, str) else value  # what the player typed
    try:
        return embeds.number(Decimal(str(value)))
    except ArithmeticError:
        return value


def language_of(interaction: dict[str, Any]) -> str:
    """German for a German Discord client (``locale`` "de"), English otherwise."""
    locale = interaction.get("locale") or interaction.get("guild_locale") or ""
    return "de" if isinstance(locale, str) and locale.lower().startswith("de") else "en"


def streak(ctx: Context, options: dict[str, Any]) -> dict[str, Any]:
    user = ctx.account()
    if user is None:
        raise Refused("You have no profile yet. Log your first activity with /log and it starts.")
    return reply(embeds.streaks(user.public_name, streaks_document(user)))


COMMANDS = {
    "log": log,
    "streak": streak,
    "profile": profile,
    "rank": rank,
    "league": league,
    "leaderboard": leaderboard_command,
    "events": events,
    "join": join,
    **quest_commands.HANDLERS,
}
