"""POST /api/v1/xp/add/ for a signed-in player, answered with one SQL statement and one Redis
round trip (docs/hot-path.md).

The common request, a player (session cookie with its CSRF token, or an app token) adding XP
with a valid body, is parsed here and awarded by the one award service with the player's
credential (``award_xp(credential=...)``: the credential, the activity's rules and the write
quota are proved inside the write statement, the rank index written and both ranks read in one
Redis script), and the answer is rendered from what the service returned. Everything else (a service key, a malformed body, a refused rule, an
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
from django.http import HttpRequest, HttpResponse
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings

from api import session_players
from api.authentication import SessionAuthentication, credentials
from api.idempotency import idempotency_key_from
from api.parsers import loads_exact
from api.renderers import JSON_ACCEPTED, render_json
from api.throttling import PlayerWriteThrottle
from api.v1.xp.serializers import AddXPInputSerializer, add_xp_document, entry_document
from core.exceptions import InvalidAppToken, InvalidIdempotencyKey
from core.selectors.accounts.profile import profile_document
from core.services.accounts import tokens
from core.services.xp import store
from core.services.xp.award import Credential, award_xp

_JSON_TYPES = frozenset({"application/json", "application/json; charset=utf-8", "application/json;charset=utf-8"})
_NO_QUOTA = 2**31 - 1  # the quota check of a statement when player_write has no rate
# AddXPInputSerializer's own fields, so a value passes here only as it passes there. A player
# never sends discord_id or display_name (the full view refuses them).
_INPUT = AddXPInputSerializer().fields
_PLAYER_FIELDS = frozenset(_INPUT) - {"discord_id", "display_name", "proof_url"}


@dataclass(frozen=True)
class _Caller:
    user_id: int
    source: str
    check_gate: str
    session_key: str | None = None
    password: str | None = None


def lean_answer(request: HttpRequest) -> HttpResponse | None:
    """The answer to a common xp/add, or None when the full view must answer."""
    if request.method != "POST" or request.META.get("HTTP_ACCEPT", "") not in JSON_ACCEPTED:
        return None
    if request.META.get("QUERY_STRING") and api_settings.URL_FORMAT_OVERRIDE in request.GET:
        return None  # ?format= is negotiated by DRF (an unknown format is its 404)
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

    throttle = PlayerWriteThrottle()
    seconds = time.time()
    window = throttle.bucket(seconds) if throttle.rate else int(seconds)
    credential = Credential(
        user_id=caller.user_id,
        gate=caller.check_gate,
        quota_window=window,
        quota_limit=throttle.limit if throttle.rate else _NO_QUOTA,
        session_key=caller.session_key,
        password=caller.password,
    )
    award = award_xp(
        credential=credential,
        source=caller.source,
        activity=activity_key,
        units=units,
        note=note,
        mode=mode,
        idempotency_key=idempotency_key,
    )
    if award is None:  # the full view answers; the session is verified again there
        if caller.session_key:
            session_players.forget(caller.session_key)
        return None
    assert award.identity is not None and award.ranks is not None and award.writes_in_window is not None
    entry = award.entry
    document = add_xp_document(
        entry_document(entry.pk, entry.activity.key, entry.mode, entry.units, entry.xp, entry.created_at),
        profile_document(award.identity, award.profile, entry.season_id, award.season_xp, award.ranks),  # type: ignore[arg-type]
        award.level_up,
        award.layer_up,
        duplicate=False,
        unlocked=award.unlocked,
        boost=award.boost,
        quests=award.quests,
    )
    if throttle.rate:  # the RateLimit headers (api/ratelimit.py), as the throttle tells them
        request.rate_limit = throttle.rate_limit_state(award.writes_in_window, window, seconds)  # type: ignore[attr-defined]
    return HttpResponse(render_json(document), status=201, content_type="application/json")


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
