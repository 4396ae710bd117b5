"""POST /api/v1/xp/add/ for a signed-in player, answered with one SQL statement and one Redis
round trip (docs/hot-path.md).

The common request, a player (session cookie with its CSRF token, or an app token) adding XP
with a valid body, is answered here: the credential, the activity's rules and the write quota
are checked inside the write statement itself (``store.write_checked_entry``), the rank index
is written and both ranks are read in one Redis script, and the answer is rendered from what
the statement returned. Everything else (a service key, a malformed body, a refused rule, an
unknown or changed activity, a used-up quota, a signed-out session, an unusual Accept or
Content-Type) returns None here and the full DRF view (``AddXPView``) answers it exactly as
it always has: this path never answers an error itself, and it never writes what the full
view would refuse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, serializers

from api import session_players
from api.authentication import SessionAuthentication, credentials
from api.idempotency import idempotency_key_from
from api.parsers import loads_exact
from api.renderers import render_json
from api.throttling import PlayerWriteThrottle
from api.v1.xp.serializers import AddXPInputSerializer, add_xp_document, entry_document
from core.constants.modes import MODES
from core.exceptions import DomainError, InvalidAppToken, InvalidIdempotencyKey
from core.selectors.activity_catalogue import cached_activity, forget_catalogue
from core.selectors.leaderboard import database_rank, ranks_for
from core.selectors.profile import profile_document
from core.services import tokens
from core.services.quests.progress import after_award
from core.services.seasons import rank_index
from core.services.xp import store
from core.services.xp.award import check_award_rules, xp_for_units
from core.services.xp.results import layer_change, level_change
from core.utils.dates import utc_now

# The environ key a handler sets when it asked lean_answer already and got None (the view then
# goes straight to the full answer): ultrabackend/direct_handler.py.
DECLINED = "igoultra.lean_answer_declined"
ALLOW = "POST, OPTIONS"  # what DRF's finalize_response sets for AddXPView
_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})
# Accept headers a JSON answer satisfies as DRF would negotiate it (anything else: the full view).
ACCEPTED = frozenset({"", "*/*", "application/json", "application/json, */*", "application/*"})
_NO_QUOTA = 2**31 - 1  # the quota check of a statement when player_write has no rate
# AddXPInputSerializer's own fields, so a value passes here only as it passes there. A player
# never sends discord_id (the full view refuses it).
_INPUT = AddXPInputSerializer().fields
_PLAYER_FIELDS = frozenset(_INPUT) - {"discord_id"}


@dataclass(frozen=True)
class _Caller:
    user_id: int
    source: str
    check_gate: str
    session_key: str | None = None
    password: str | None = None


def lean_answer(request: HttpRequest) -> HttpResponse | None:
    """The answer to a common xp/add, or None when the full view must answer."""
    if request.method != "POST" or request.META.get("HTTP_ACCEPT", "") not in ACCEPTED:
        return None
    caller = _caller(request)
    if caller is None:
        return None
    try:
        idempotency_key = idempotency_key_from(request)
    except InvalidIdempotencyKey:
        return None
    body = _body(request)
    if body is None:
        return None
    activity_key, units, note, mode = body
    activity = cached_activity(activity_key)
    if activity is None:
        return None
    try:
        check_award_rules(activity, units, mode)
    except DomainError:
        return None

    throttle = PlayerWriteThrottle()
    now, seconds = utc_now(), time.time()
    window = throttle.bucket(seconds) if throttle.rate else int(seconds)
    write = store.XPWrite(
        user_id=caller.user_id,
        activity=activity,
        units=units,
        xp=xp_for_units(activity, units),
        source=caller.source,
        submitted_by_id=caller.user_id,
        idempotency_key=idempotency_key,
        note=note,
        now=now,
    )
    check = store.WriteCheck(
        gate=caller.check_gate,
        quota_window=window,
        quota_limit=throttle.limit if throttle.rate else _NO_QUOTA,
        session_key=caller.session_key,
        password=caller.password,
    )
    try:
        with store.statement_scope():
            checked = store.write_checked_entry(write, check)
    except IntegrityError:  # a retried Idempotency-Key or the daily cap: the full view answers
        return None
    if checked is None:  # a check failed: forget what this process remembered, the full view answers
        if caller.session_key:
            session_players.forget(caller.session_key)
        forget_catalogue()
        return None

    written = checked.written
    quests = after_award(user_id=caller.user_id, activity=activity, open_quests=written.open_quests, now=now)
    if connection.in_atomic_block:  # a caller's transaction (tests): the index follows its commit
        rank_index.index_on_commit(written.score, written.index)
        ranks = ranks_for(caller.user_id, write.season_id, dict(written.season_xp))
    else:
        ranks = rank_index.index_and_rank(written.score, written.index, written.season_xp)
        for mode in MODES:
            if mode not in ranks:
                ranks[mode] = database_rank(write.season_id, mode, written.season_xp[mode])
    document = add_xp_document(
        entry_document(written.entry_id, activity.key, write.mode, units, write.xp, now),
        profile_document(checked.identity, written.totals, write.season_id, written.season_xp, ranks),
        level_change(written.totals.total_xp, write.xp),
        layer_change(write.mode, written.mode_xp_after, write.xp),
        duplicate=False,
        quests=quests,
    )
    if throttle.rate:  # the RateLimit headers (api/ratelimit.py), as the throttle tells them
        request.rate_limit = throttle.rate_limit_state(checked.writes_in_window, window, seconds)  # type: ignore[attr-defined]
    response = HttpResponse(render_json(document), status=201, content_type="application/json")
    response["Allow"] = ALLOW
    return response


def _caller(request: HttpRequest) -> _Caller | None:
    """The signed-in player, as far as this process can tell before the statement checks it."""
    if "HTTP_AUTHORIZATION" in request.META:  # only an app token is taken here
        token = credentials(request, "Bearer")
        if token is None:
            return None
        try:
            claims = tokens.decode(token, typ="access")
        except InvalidAppToken:
            return None
        return _Caller(claims.user_id, "mobile", store.GATE_TOKEN)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    player = session_players.recall(session_key) or session_players.verified(request, session_key)
    if player is None:
        return None
    try:  # DRF's SessionAuthentication enforces CSRF for a signed-in session; so does this path
        SessionAuthentication().enforce_csrf(request)
    except exceptions.PermissionDenied:
        return None
    request.session.accessed = True  # as reading it would: the answer varies by Cookie
    return _Caller(player.user_id, "web", store.GATE_SESSION, session_key, player.password)


def _body(request: HttpRequest) -> tuple[str, Decimal, str, str | None] | None:
    """(activity, units, note, mode) of a body AddXPInputSerializer accepts as is, else None."""
    if request.META.get("CONTENT_TYPE", "").lower() not in _JSON_TYPES:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= settings.MAX_REQUEST_BODY_BYTES:
        return None
    try:
        data = loads_exact(request.body.decode())
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data.keys() <= _PLAYER_FIELDS or "activity" not in data or "units" not in data:
        return None
    # Stricter than the serializer on purpose: it would turn a number into the text of a slug
    # or a note; the full view answers those.
    if not isinstance(data["activity"], str) or not isinstance(data.get("note", ""), str):
        return None
    try:
        return (
            _INPUT["activity"].run_validation(data["activity"]),
            _INPUT["units"].run_validation(data["units"]),
            _INPUT["note"].run_validation(data.get("note", "")),
            _INPUT["mode"].run_validation(data["mode"]) if "mode" in data else None,
        )
    except serializers.ValidationError:
        return None
