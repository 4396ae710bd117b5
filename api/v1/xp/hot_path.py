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

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from django.conf import settings
from django.contrib import auth
from django.db import IntegrityError, connection
from django.http import HttpRequest, HttpResponse
from rest_framework import serializers
from rest_framework.authentication import CSRFCheck

from api import session_players
from api.fields import ExactDecimalField, StrictSlugField
from api.throttling import PlayerWriteThrottle, RateLimitState
from api.v1.xp.serializers import add_xp_document, entry_document
from core.constants.modes import MODES
from core.exceptions import DomainError, InvalidAppToken
from core.selectors.activity_catalogue import cached_activity, forget_catalogue
from core.selectors.leaderboard import database_rank, ranks_for
from core.selectors.profile import profile_document
from core.services import tokens
from core.services.seasons import rank_index
from core.services.xp import store
from core.services.xp.award import check_award_rules, xp_for_units
from core.services.xp.results import layer_change, level_change
from core.utils.dates import utc_now

ALLOW = "POST, OPTIONS"  # what DRF's finalize_response sets for AddXPView
_FIELDS = frozenset({"activity", "units", "note", "mode"})
_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})
_ACCEPTED = frozenset({"", "*/*", "application/json", "application/json, */*", "application/*"})
_NO_QUOTA = 2**31 - 1  # the quota check of a statement when player_write has no rate
# The same fields AddXPInputSerializer declares, so a value passes here only if it passes there.
_ACTIVITY = StrictSlugField(max_length=50, trim_whitespace=False)
_UNITS = ExactDecimalField(max_digits=12, decimal_places=2)
_NOTE = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@dataclass(frozen=True)
class _Caller:
    user_id: int
    source: str
    check_gate: str
    session_key: str | None = None
    password: str | None = None


def lean_answer(request: HttpRequest) -> HttpResponse | None:
    """The answer to a common xp/add, or None when the full view must answer."""
    if request.method != "POST" or request.META.get("HTTP_ACCEPT", "") not in _ACCEPTED:
        return None
    caller = _caller(request)
    if caller is None:
        return None
    idempotency_key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    if idempotency_key is not None and not (
        0 < len(idempotency_key) <= 255 and all(32 < ord(c) < 127 for c in idempotency_key)
    ):
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
    window_seconds = int(throttle.duration) if throttle.rate else 1  # type: ignore[attr-defined]
    limit = int(throttle.num_requests) if throttle.rate else _NO_QUOTA  # type: ignore[attr-defined]
    now = utc_now()
    seconds = time.time()
    window = int(seconds // window_seconds)
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
        quota_limit=limit,
        session_key=caller.session_key,
        password=caller.password,
    )
    try:
        with store.statement_scope():
            written = store.write_checked_entry(write, check)
    except IntegrityError:  # a retried Idempotency-Key or the daily cap: the full view answers
        return None
    if written is None:  # a check failed: forget what this process remembered, the full view answers
        if caller.session_key:
            session_players.forget(caller.session_key)
        forget_catalogue()
        return None

    other = MODES[1] if write.mode == MODES[0] else MODES[0]
    season_xp = {write.mode: written.season_xp, other: written.other_season_xp}
    if connection.in_atomic_block:  # a caller's transaction (tests): the index follows its commit
        rank_index.index_on_commit(written.score, written.index)
        ranks = ranks_for(caller.user_id, write.season_id, dict(season_xp))
    else:
        ranks = rank_index.index_and_rank(written.score, written.index, written.other_season_xp)
        for mode in MODES:
            if mode not in ranks:
                ranks[mode] = database_rank(write.season_id, mode, season_xp[mode])
    document = add_xp_document(
        entry_document(written.entry_id, activity.key, write.mode, units, write.xp, now),
        profile_document(
            user_id=caller.user_id,
            username=written.username,
            display_name=written.display_name,
            avatar_url=written.avatar_url,
            discord_id=written.discord_id,
            totals=written.totals,
            season_id=write.season_id,
            season_xp=season_xp,
            ranks=ranks,
        ),
        level_change(written.totals.total_xp, write.xp),
        layer_change(write.mode, written.totals.mode_xp(write.mode), write.xp),
        duplicate=False,
    )
    if throttle.rate:  # the RateLimit headers (api/ratelimit.py), as the throttle tells them
        request.rate_limit = RateLimitState(  # type: ignore[attr-defined]
            str(throttle.scope),
            limit,
            window_seconds,
            max(limit - written.writes_in_window, 0),
            (window + 1) * window_seconds - seconds,
        )
    response = HttpResponse(render_json(document), status=201, content_type="application/json")
    response["Allow"] = ALLOW
    return response


def render_json(document: Any) -> bytes:
    """What DRF's JSONRenderer writes (compact, UTF-8, U+2028/U+2029 escaped), with orjson."""
    content = orjson.dumps(document)
    if b"\xe2\x80\xa8" in content or b"\xe2\x80\xa9" in content:
        content = content.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
    return content


def _caller(request: HttpRequest) -> _Caller | None:
    """The signed-in player, as far as this process can tell before the statement checks it."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        try:
            claims = tokens.decode(token.strip(), typ="access")
        except InvalidAppToken:
            return None
        return _Caller(claims.user_id, "mobile", store.GATE_TOKEN)
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    player = session_players.recall(session_key)
    if player is None:
        player = _verified_session_player(request, session_key)
        if player is None:
            return None
    # DRF's SessionAuthentication enforces CSRF for a signed-in session; so does this path.
    check = CSRFCheck(lambda _: None)  # type: ignore[arg-type]
    check.process_request(request)
    if check.process_view(request, None, (), {}) is not None:  # type: ignore[arg-type]
        return None
    request.session.accessed = True  # as reading it would: the answer varies by Cookie
    return _Caller(player.user_id, "web", store.GATE_SESSION, session_key, player.password)


def _verified_session_player(request: HttpRequest, session_key: str) -> session_players.SessionPlayer | None:
    """Load the session and its user the usual way (Django's get_user), once per process."""
    user = auth.get_user(request)
    if not user.is_authenticated or request.session.session_key != session_key or request.session.modified:
        return None
    player = session_players.SessionPlayer(user.pk, user.password)
    session_players.remember(session_key, player)
    return player


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
        data = json.loads(request.body.decode(), parse_float=Decimal, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data.keys() <= _FIELDS or "activity" not in data or "units" not in data:
        return None
    mode = data.get("mode")
    if "mode" in data and mode not in MODES:
        return None
    activity, units, note = data["activity"], data["units"], data.get("note", "")
    if not isinstance(activity, str) or not isinstance(note, str) or units is None:
        return None
    try:
        return _ACTIVITY.run_validation(activity), _UNITS.run_validation(units), _NOTE.run_validation(note), mode
    except serializers.ValidationError:
        return None


def _refuse(name: str) -> Any:
    raise ValueError(name)
