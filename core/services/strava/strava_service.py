"""Strava: linking athletes to players, and turning their activities into XP.

Every XP change goes through ``award_xp`` / ``correct_entry`` (source ``strava``). An activity's
import record (integrations.StravaActivity) says what became of it:

- a mapped sport (core/constants/strava.py) with a plausible average speed and not entered by
  hand → ``awarded`` with the Idempotency-Key ``strava:<id>`` (a later revision
  ``strava:<id>:r<n>``), or ``refused`` with award_xp's code (daily cap, per-entry maximum);
- an implausible speed or a manual entry → ``held``: a claim of kind ``strava`` in the one review
  queue (docs/domain.md "Claims"); the community's votes or a moderator (the API, the claims
  admin, or this admin's approve/reject, which decide the claim) settle it: approval awards once
  under ``claim:<id>`` and marks the record ``awarded``, rejection marks it ``rejected``;
- any other sport → ``ignored``; deleted at Strava → ``reversed`` (its XP corrected away).

An update that changes the sport, distance, moving time or the manual flag is a new revision:
the previous entry is corrected and the activity is judged again. Events are replayed safely:
an unchanged activity changes nothing, and each revision's key makes a retried award a no-op.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from claims.models import APPROVE, APPROVED, PENDING, REJECT, STRAVA, Claim
from core.constants.strava import (
    HELD_IMPLAUSIBLE_SPEED,
    HELD_MANUAL,
    IGNORED_DELETED,
    IGNORED_SPORT,
    activity_for_sport,
    speed_is_plausible,
    units_for_distance,
)
from core.exceptions import (
    AlreadyCorrected,
    DomainError,
    ReasonRequired,
    StravaAthleteTaken,
    StravaAuthorizationRevoked,
    StravaBackfillUsed,
    StravaNotConnected,
    StravaNotHeld,
    StravaObjectNotFound,
)
from core.selectors.strava.strava import import_from
from core.services import claims as claim_service
from core.services.xp import award_xp, correct_entry
from core.services.xp.award import check_award_rules, get_activity
from core.utils.dates import utc_now
from core.utils.jobs import defer_job
from integrations import client as strava
from integrations.models import StravaActivity, StravaConnection
from ultrabackend import crypto

if TYPE_CHECKING:
    from users.models import CustomUser

logger = logging.getLogger(__name__)
BACKFILL_TASK = "integrations.tasks.backfill_strava"

REFRESH_MARGIN = timedelta(minutes=5)  # refresh a token this long before it expires

State = StravaActivity.State


# --- connecting --------------------------------------------------------------------------------


def link_athlete(*, user: CustomUser, grant: strava.TokenGrant, scope: str) -> StravaConnection:
    """Link the grant's athlete to ``user`` (one athlete, one player). Connecting again updates
    the tokens; connecting another athlete replaces the old link. Raises StravaAthleteTaken."""
    assert grant.athlete_id is not None
    now = utc_now()
    try:
        with transaction.atomic():
            taken = (
                StravaConnection.objects.select_for_update()
                .filter(athlete_id=grant.athlete_id)
                .exclude(user_id=user.pk)
                .exists()
            )
            if taken:
                raise StravaAthleteTaken(athlete_id=grant.athlete_id)
            connection = StravaConnection.objects.select_for_update().filter(user_id=user.pk).first()
            if connection is not None and connection.athlete_id != grant.athlete_id:
                connection.delete()
                connection = None
            if connection is None:
                connection = StravaConnection(user=user, athlete_id=grant.athlete_id, connected_at=now)
            connection.set_tokens(access_token=grant.access_token, refresh_token=grant.refresh_token)
            connection.expires_at = grant.expires_at
            connection.scope = scope[:200]
            connection.save()
    except IntegrityError:
        # Two players racing for one athlete: the unique athlete_id lets one of them win.
        raise StravaAthleteTaken(athlete_id=grant.athlete_id) from None
    return connection


def disconnect(*, user: CustomUser) -> None:
    """Forget the player's Strava tokens; tell Strava to drop the app's access (best effort).
    Raises StravaNotConnected."""
    connection = StravaConnection.objects.filter(user_id=user.pk).first()
    if connection is None:
        raise StravaNotConnected()
    try:
        token = connection.access_token
    except crypto.DecryptionFailed:  # the key was changed without rotating: forget all the same
        token = ""
    if token:
        _deauthorize_quietly(token, connection.athlete_id)
    StravaConnection.objects.filter(pk=connection.pk).delete()


def _deauthorize_quietly(access_token: str, athlete_id: int) -> None:
    try:
        strava.deauthorize(access_token)
    except DomainError as exc:
        logger.info("Strava deauthorization for athlete %s failed (%s); tokens forgotten anyway", athlete_id, exc.code)
    except Exception:  # the tokens must be forgotten whatever Strava or the key did
        logger.warning("Strava deauthorization for athlete %s failed", athlete_id, exc_info=True)


def forget_player(*, user: CustomUser) -> None:
    """Account erasure: drop the Strava link and the activity titles (free text), inside the
    caller's transaction; Strava is told after commit (best effort)."""
    connection = StravaConnection.objects.filter(user_id=user.pk).first()
    if connection is not None:
        try:
            token: str | None = connection.access_token
        except crypto.DecryptionFailed:
            token = None
        athlete_id = connection.athlete_id
        connection.delete()
        if token:
            transaction.on_commit(lambda: _deauthorize_quietly(token, athlete_id))
    StravaActivity.objects.filter(user_id=user.pk).exclude(name="").update(name="")
    # Held activities are not awarded to an erased account (their claims were withdrawn first).
    now = utc_now()
    StravaActivity.objects.filter(user_id=user.pk, state=State.HELD).update(
        state=State.REJECTED, review_reason="account erased", reviewed_at=now, updated_at=now
    )


def forget_athlete(*, athlete_id: int) -> bool:
    """Drop the athlete's connection and tokens (access revoked at Strava)."""
    deleted, _ = StravaConnection.objects.filter(athlete_id=athlete_id).delete()
    return bool(deleted)


def fresh_access_token(connection: StravaConnection) -> str:
    """A usable access token, refreshed (and stored) when it expires within 5 minutes. A refresh
    token Strava no longer accepts means access was revoked: the connection is forgotten and
    StravaAuthorizationRevoked raised."""
    if connection.expires_at - REFRESH_MARGIN > utc_now():
        return connection.access_token
    with transaction.atomic():
        locked = StravaConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            raise StravaAuthorizationRevoked()
        if locked.expires_at - REFRESH_MARGIN > utc_now():  # another job refreshed it meanwhile
            return locked.access_token
        try:
            grant: strava.TokenGrant | None = strava.refresh(locked.refresh_token)
        except StravaAuthorizationRevoked:
            grant = None
            locked.delete()  # committed: the exception is raised after the transaction
        else:
            assert grant is not None
            locked.set_tokens(access_token=grant.access_token, refresh_token=grant.refresh_token)
            locked.expires_at = grant.expires_at
            locked.save(update_fields=["access_token_encrypted", "refresh_token_encrypted", "expires_at"])
    if grant is None:
        raise StravaAuthorizationRevoked()
    connection.access_token_encrypted = locked.access_token_encrypted
    connection.refresh_token_encrypted = locked.refresh_token_encrypted
    connection.expires_at = locked.expires_at
    return grant.access_token


def request_backfill(*, user: CustomUser) -> StravaConnection:
    """Mark the one-time import of the last 7 days (the caller queues the job on commit).
    Raises StravaNotConnected, StravaBackfillUsed (once per connection)."""
    with transaction.atomic():
        connection = StravaConnection.objects.select_for_update().filter(user_id=user.pk).first()
        if connection is None:
            raise StravaNotConnected()
        if connection.backfill_requested_at is not None:
            raise StravaBackfillUsed(requested_at=connection.backfill_requested_at.isoformat().replace("+00:00", "Z"))
        connection.backfill_requested_at = utc_now()
        connection.save(update_fields=["backfill_requested_at"])
        transaction.on_commit(
            lambda: defer_job(
                BACKFILL_TASK, queueing_lock=f"strava:backfill:{connection.pk}", connection_id=connection.pk
            )
        )
    return connection


# --- events (run by the task queue) ------------------------------------------------------------


def sync_activity(*, athlete_id: int, strava_id: int) -> StravaActivity | None:
    """Fetch the activity and import or revise it. None: not connected, gone, or too old."""
    connection = StravaConnection.objects.select_related("user").filter(athlete_id=athlete_id).first()
    if connection is None:
        return None
    token = fresh_access_token(connection)
    try:
        data = strava.get_activity(token, strava_id)
    except StravaObjectNotFound:
        return None  # deleted (or made private to us) since the event: its delete event follows
    if data.athlete_id is not None and data.athlete_id != athlete_id:
        logger.warning("Strava activity %s belongs to athlete %s, not %s", strava_id, data.athlete_id, athlete_id)
        return None
    return apply_activity(user=connection.user, athlete_id=athlete_id, data=data, not_before=import_from(connection))


def run_backfill(*, connection_id: int) -> int:
    """Import the athlete's activities of the 7 days before the request. Returns how many."""
    connection = StravaConnection.objects.select_related("user").filter(pk=connection_id).first()
    if connection is None or connection.backfill_requested_at is None:
        return 0
    token = fresh_access_token(connection)
    since = import_from(connection)
    done = 0
    for data in strava.list_activities(token, after=since):
        if apply_activity(user=connection.user, athlete_id=connection.athlete_id, data=data, not_before=since):
            done += 1
    return done


def delete_activity(*, athlete_id: int, strava_id: int) -> StravaActivity | None:
    """Reverse a deleted activity's XP. While the athlete is connected the deletion is checked
    at Strava first (the webhook is not signed: a forged delete must not take XP away)."""
    record = StravaActivity.objects.filter(strava_id=strava_id, athlete_id=athlete_id).first()
    if record is None:
        return None
    connection = StravaConnection.objects.filter(athlete_id=athlete_id, user_id=record.user_id).first()
    if connection is not None:
        try:
            strava.get_activity(fresh_access_token(connection), strava_id)
        except StravaObjectNotFound:
            pass
        except StravaAuthorizationRevoked:
            pass  # no longer ours to check
        else:
            logger.warning("delete event for Strava activity %s, which still exists: ignored", strava_id)
            return record
    with transaction.atomic():
        open_claims = _lock_open_claims(strava_id)
        record = StravaActivity.objects.select_for_update().get(pk=record.pk)
        _check_claims_unchanged(strava_id, open_claims)
        claim_service.withdraw(open_claims, reason=f"Strava activity {strava_id} was deleted at Strava.")
        if record.state == State.AWARDED and record.entry is not None:
            _correct(record, reason=f"Strava activity {strava_id} was deleted at Strava.")
            record.state = State.REVERSED
        elif record.state not in (State.REVERSED,):
            record.state, record.reason_code = State.IGNORED, IGNORED_DELETED
        record.updated_at = utc_now()
        record.save()
    return record


def athlete_deauthorized(*, athlete_id: int) -> bool:
    """The webhook says the athlete revoked access (``authorized: false``). The webhook is not
    signed, so Strava is asked first with the athlete's own token: only when Strava refuses it
    (StravaAuthorizationRevoked) is the link dropped. True when a link was dropped. Strava
    unreachable raises (the job is retried)."""
    connection = StravaConnection.objects.filter(athlete_id=athlete_id).first()
    if connection is None:
        return False
    try:
        token = fresh_access_token(connection)  # a revoked refresh token forgets the link itself
        strava.get_athlete_id(token)
    except StravaAuthorizationRevoked:
        return forget_athlete(athlete_id=athlete_id)
    except crypto.DecryptionFailed:  # tokens nobody can read any more: nothing left to protect
        return forget_athlete(athlete_id=athlete_id)
    logger.warning("deauthorization event for Strava athlete %s, whose token still works: ignored", athlete_id)
    return False


# --- judging an activity -----------------------------------------------------------------------


def apply_activity(
    *, user: CustomUser, athlete_id: int, data: strava.ActivityData, not_before: datetime
) -> StravaActivity | None:
    """Import ``data`` or revise its record, in one transaction (award and record together)."""
    try:
        return _apply_activity(user=user, athlete_id=athlete_id, data=data, not_before=not_before)
    except (IntegrityError, _ClaimsChanged):
        # Two jobs imported the same new activity at once (a sync and the backfill): the other
        # one's record (or claim) exists now, and judging again against it changes nothing or
        # revises it.
        return _apply_activity(user=user, athlete_id=athlete_id, data=data, not_before=not_before)


def _apply_activity(
    *, user: CustomUser, athlete_id: int, data: strava.ActivityData, not_before: datetime
) -> StravaActivity | None:
    key = activity_for_sport(data.sport_type, data.activity_type)
    units = units_for_distance(key, data.distance_m) if key else None
    now = utc_now()
    with transaction.atomic():
        open_claims = _lock_open_claims(data.strava_id)
        record = StravaActivity.objects.select_for_update().filter(strava_id=data.strava_id).first()
        _check_claims_unchanged(data.strava_id, open_claims)
        if record is None:
            if data.start_date is not None and data.start_date < not_before:
                return None
            record = StravaActivity(strava_id=data.strava_id, user=user, athlete_id=athlete_id, created_at=now)
        elif record.user_id != user.pk or record.state == State.REVERSED or record.reason_code == IGNORED_DELETED:
            return record  # another player's, or already deleted: late events change nothing
        else:
            changed = (
                record.activity_key != (key or "")
                or record.distance_m != data.distance_m
                or record.moving_time_s != data.moving_time_s
                or record.manual != data.manual
            )
            if not changed:
                if record.name != data.name:
                    record.name, record.updated_at = data.name, now
                    record.save(update_fields=["name", "updated_at"])
                return record
            why = f"Strava activity {data.strava_id} changed (revision {record.revision + 1})."
            if record.state == State.AWARDED and record.entry is not None:
                _correct(record, reason=why)
            claim_service.withdraw(open_claims, reason=why)  # the new revision is judged again
            record.revision += 1
        record.name = data.name
        record.sport_type = data.sport_type or data.activity_type
        record.activity_key = key or ""
        record.distance_m = data.distance_m
        record.moving_time_s = data.moving_time_s
        record.manual = data.manual
        record.start_date = data.start_date
        record.units = units
        record.entry, record.xp, record.reason_code = None, 0, ""
        record.review_reason, record.reviewed_by, record.reviewed_at = "", None, None
        if key is None:
            record.state, record.reason_code = State.IGNORED, IGNORED_SPORT
        elif data.manual:
            _hold(record, HELD_MANUAL)
        elif not speed_is_plausible(key, data.distance_m, data.moving_time_s):
            _hold(record, HELD_IMPLAUSIBLE_SPEED)
        else:
            _award(record)
        record.updated_at = now
        record.save()
    return record


def _hold(record: StravaActivity, reason: str) -> None:
    """Hold the record for review as a claim in the one review queue, or record the refusal when
    the activity's rules for one entry refuse it anyway (as for a player's report)."""
    assert record.units is not None
    try:
        check_award_rules(get_activity(record.activity_key), record.units, None)
    except DomainError as exc:
        record.state, record.reason_code = State.REFUSED, exc.code
        return
    record.state, record.reason_code = State.HELD, reason
    _claim(record)


def claim_subject(strava_id: int, revision: int) -> str:
    """The subject of a held activity's claim: the activity and the revision it judges."""
    return f"strava:{strava_id}:r{revision}"


def _claim(record: StravaActivity) -> Claim:
    assert record.units is not None
    return claim_service.create_claim(
        user=record.user,
        activity=get_activity(record.activity_key),
        units=record.units,
        reason=record.reason_code,
        source="strava",
        kind=STRAVA,
        subject=claim_subject(record.strava_id, record.revision),
        note=f"Strava: {record.name}"[:500],
    )


class _ClaimsChanged(Exception):
    """A claim of the activity appeared between locking its claims and locking its record."""


def _lock_open_claims(strava_id: int) -> list[Claim]:
    """Lock the activity's pending claims. Every path that decides a claim locks the claim first
    and then (the decision hook) the record, so the import locks in the same order."""
    return list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("activity")
        .filter(kind=STRAVA, state=PENDING, subject__startswith=f"strava:{strava_id}:")
    )


def _check_claims_unchanged(strava_id: int, locked: list[Claim]) -> None:
    """Raises _ClaimsChanged when another import made a claim of the activity after the claims were
    locked (locking it now would take the locks out of order: the caller starts again)."""
    others = Claim.objects.filter(kind=STRAVA, state=PENDING, subject__startswith=f"strava:{strava_id}:")
    if others.exclude(pk__in=[c.pk for c in locked]).exists():
        raise _ClaimsChanged()


def _award(record: StravaActivity) -> None:
    """Award the record's current revision through the one award path; a refusal is recorded."""
    assert record.units is not None
    try:
        award = award_xp(
            user=record.user,
            activity=record.activity_key,
            units=record.units,
            source="strava",
            idempotency_key=record.idempotency_key,
            note=f"Strava: {record.name}"[:500],
        )
    except DomainError as exc:
        record.state, record.reason_code, record.entry, record.xp = State.REFUSED, exc.code, None, 0
        return
    record.state, record.reason_code, record.entry, record.xp = State.AWARDED, "", award.entry, award.entry.xp


def _correct(record: StravaActivity, *, reason: str) -> None:
    assert record.entry is not None
    with contextlib.suppress(AlreadyCorrected):  # an admin reversed it by hand already
        correct_entry(entry=record.entry, reason=reason, corrected_by=None, source="strava")
    record.xp = 0


# --- review: the claim of a held activity ----------------------------------------------------


def approve(*, record: StravaActivity, reviewer: CustomUser) -> StravaActivity:
    """A moderator's approval of a held activity: decides its claim (the one review queue), whose
    approval awards the XP once (``claim:<id>``, a trusted award) and marks the record awarded.
    Raises StravaNotHeld and what ``claims.decide`` raises (OwnClaim, ClaimAlreadyDecided)."""
    _decide_held(record, reviewer=reviewer, verdict=APPROVE, reason="")
    return StravaActivity.objects.select_related("user").get(pk=record.pk)


def reject(*, record: StravaActivity, reviewer: CustomUser, reason: str) -> StravaActivity:
    """A moderator's rejection of a held activity (no XP), with a reason: decides its claim.
    Raises ReasonRequired, StravaNotHeld and what ``claims.decide`` raises."""
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    _decide_held(record, reviewer=reviewer, verdict=REJECT, reason=reason)
    return StravaActivity.objects.get(pk=record.pk)


def _decide_held(record: StravaActivity, *, reviewer: CustomUser, verdict: str, reason: str) -> None:
    with transaction.atomic():
        open_claims = _lock_open_claims(record.strava_id)
        claim = open_claims[0] if open_claims else None
        if claim is None:  # held before held activities became claims: it gets its claim now
            held = StravaActivity.objects.select_for_update().select_related("user").get(pk=record.pk)
            if held.state != State.HELD:
                raise StravaNotHeld()
            claim = _claim(held)
        claim_service.decide(claim_id=claim.pk, verdict=verdict, reason=reason, moderator=reviewer)


def claim_decided(claim: Claim) -> None:
    """The decision of a held activity's claim (kind ``strava``; ``DECISION_HOOKS``), in the
    claim's deciding transaction: approval marks the record awarded with the claim's ledger entry,
    rejection marks it rejected with the reason. A claim of an older revision changes nothing."""
    strava_id, _, revision = claim.subject.removeprefix("strava:").partition(":r")
    record = StravaActivity.objects.select_for_update().filter(strava_id=int(strava_id), user_id=claim.user_id).first()
    if record is None or record.state != State.HELD or str(record.revision) != revision:
        logger.warning("claim %s decided for Strava activity %s, which is no longer held", claim.pk, strava_id)
        return
    if claim.state == APPROVED:
        record.review_reason = f"approved ({record.reason_code})"
        record.state, record.reason_code, record.entry_id, record.xp = State.AWARDED, "", claim.entry_id, claim.xp
    else:
        record.state = State.REJECTED
        record.review_reason = claim.decision_reason or f"rejected by the {claim.decided_via or 'community'}"
    record.reviewed_by_id = claim.decided_by_id
    record.reviewed_at = record.updated_at = claim.decided_at or utc_now()
    record.save()
