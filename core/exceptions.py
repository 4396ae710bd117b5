"""Every error code the project answers with, declared once: the registry.

Each error is a class declaring its ``code``, its ``kind`` (the class of refusal; the API edge
turns it into a status with one map, ``api/errors.py`` ``DOMAIN_STATUS``) and its
English ``message`` (German comes from locale/de/LC_MESSAGES/django.po, keyed by that text);
``discord`` is the player's words for it on Discord when they differ from ``message``
(community/interactions.py, with ``%(...)s`` filled from the details). Defining a class
registers its code in ``ERRORS``; declaring a code a second time fails at import.

The codes raised at the API edge (credentials, CSRF, throttling, parse errors, unknown pages,
methods) are here too, next to the domain's. Nothing here knows HTTP.
"""

from typing import Any

# code -> the class that declares it (every code the API, the Discord app and the OAuth flows use)
ERRORS: dict[str, type["DomainError"]] = {}

# The classes of refusal (api/errors.py DOMAIN_STATUS gives each its status).
KINDS = (
    "invalid",
    "unauthenticated",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "not_acceptable",
    "conflict",
    "too_large",
    "unsupported_media_type",
    "rule",
    "throttled",
    "server_error",
    "bad_gateway",
    "unavailable",
)


class DomainError(Exception):
    code = "domain_error"
    kind = "invalid"
    message = "The request was refused."
    discord = ""  # the player's words on Discord, when not ``message``

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            return  # a variant of its parent's code (its own message, the same code)
        if cls.code in ERRORS:
            raise TypeError(f"error code {cls.code!r} declared twice: {ERRORS[cls.code].__name__} and {cls.__name__}")
        if cls.kind not in KINDS:
            raise TypeError(f"{cls.__name__}: unknown kind {cls.kind!r}")
        ERRORS[cls.code] = cls


ERRORS[DomainError.code] = DomainError


class FeatureNotConfigured(DomainError):
    """A feature this server was not set up for (its settings are missing): one answer for all of
    them, 503 ``feature_not_configured``; ``feature`` says which."""

    code, kind, message = "feature_not_configured", "unavailable", "This feature is not configured on this server."
    feature = ""

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message, **{"feature": self.feature, **details})


class UnknownActivity(DomainError):
    code, kind, message = "unknown_activity", "invalid", "No such activity."
    discord = "I don't know the activity “%(activity)s”. Pick one from the list as you type."


class ActivityNotReportable(DomainError):
    code, kind, message = (
        "activity_not_reportable",
        "invalid",
        "This activity is awarded by the game itself and cannot be reported.",
    )


class InactiveActivity(DomainError):
    code, kind, message = "inactive_activity", "invalid", "This activity is not active."
    discord = "“%(activity)s” cannot be logged at the moment."


class ModeMismatch(DomainError):
    code, kind, message = "mode_mismatch", "invalid", "The activity does not belong to that mode."
    discord = "That activity belongs to the other mode."


class UnitsNotPositive(DomainError):
    code, kind, message = "units_not_positive", "invalid", "Units must be greater than zero."
    discord = "Units must be more than zero."


class UnitsOverEntryMaximum(DomainError):
    # A value that is not allowed is 400 like units_not_positive (docs/api-contract.md); 422 is
    # for a rule that depends on the state (the daily cap).
    code, kind, message = "units_over_entry_max", "invalid", "Too many units for one entry."
    discord = "That is more than one entry allows (at most %(max_units_per_entry)s). Split it into several logs."


class DailyCapExceeded(DomainError):
    code, kind, message = "daily_cap_exceeded", "rule", "This would exceed the daily cap for the activity."
    discord = "That would go over today's limit for this activity (%(daily_unit_cap)s a day). Try again tomorrow."


class IdempotencyKeyReused(DomainError):
    code, kind, message = (
        "idempotency_key_reused",
        "conflict",
        "This Idempotency-Key was already used for a different request.",
    )
    discord = "This interaction was already used for a different log."


class AlreadyCorrected(DomainError):
    code, kind, message = "already_corrected", "conflict", "This entry was already corrected."


class NotCorrectable(DomainError):
    code, kind, message = "not_correctable", "invalid", "A correction cannot itself be corrected."


class ReasonRequired(DomainError):
    code, kind, message = "reason_required", "invalid", "A correction needs a reason."


class InvalidDiscordId(DomainError):
    code, kind, message = "invalid_discord_id", "invalid", "Not a Discord id (17 to 20 digits)."
    discord = "Discord sent an id I cannot read."


class AccountDisabled(DomainError):
    """The one code for a deactivated account, whoever asks (sign-in, a bot awarding XP)."""

    code, kind, message = "account_disabled", "forbidden", "This account is disabled."
    discord = "Your iGoUltra account is disabled."


class UnknownSeason(DomainError):
    code, kind, message = "unknown_season", "not_found", "No such season."


class InvalidSeasonId(DomainError):
    code, kind, message = "invalid_season", "invalid", "A season is identified as YYYY-MM."


class UnknownLeague(DomainError):
    code, kind, message = "unknown_league", "invalid", "No such league."


class LayerTooLow(DomainError):
    code, kind, message = "layer_too_low", "forbidden", "Your layer is too low for this event."
    discord = "This event needs layer %(required_layer)s; you are in %(current_layer)s: %(missing_xp)s XP to go."


class EventFull(DomainError):
    code, kind, message = "event_full", "conflict", "This event is full."


class AlreadyJoined(DomainError):
    code, kind, message = "already_joined", "conflict", "You already joined this event."
    discord = "You are already in this event."


class NotJoined(DomainError):
    code, kind, message = "not_joined", "conflict", "You have not joined this event."


class EventNotOpen(DomainError):
    code, kind, message = "event_not_open", "conflict", "This event is outside its time window."
    discord = "Sign-up for this event is closed (it has ended)."


class UnknownEvent(DomainError):
    code, kind, message = "unknown_event", "not_found", "No such event."
    discord = "I can't find that event. /events lists the open ones."


# --- requests -------------------------------------------------------------------------------


class InvalidIdempotencyKey(DomainError):
    code, kind, message = (
        "invalid_idempotency_key",
        "invalid",
        "Idempotency-Key must be 1-255 printable ASCII characters.",
    )


class InvalidText(DomainError):
    """Text that is not valid Unicode for storage: a lone surrogate, a NUL, or bytes that are not
    UTF-8 (api/parsers.py, api/text.py)."""

    code, kind, message = (
        "invalid_text",
        "invalid",
        "The request contains text that is not valid UTF-8 (a lone surrogate or a NUL character).",
    )


class DuplicateKey(DomainError):
    code, kind, message = "duplicate_key", "invalid", "A JSON object in the body has the same key twice."


class InvalidFilter(DomainError):
    code, kind, message = "invalid_filter", "invalid", "Unknown filter value."


class InvalidPage(DomainError):
    code, kind, message = "invalid_page", "invalid", "page and page_size must be positive integers."


class UnknownPlayer(DomainError):
    """No such player, or one who chose not to show on public pages (the same answer for both)."""

    code, kind, message = "unknown_player", "not_found", "No such player."


class PageNotFound(DomainError):
    code, kind, message = "page_not_found", "not_found", "This page is past the last page of the list."


class UnknownDiscordUser(DomainError):
    code, kind, message = "unknown_discord_user", "not_found", "No account has this Discord id yet."


# --- sign-in and tokens ---------------------------------------------------------------------


class DiscordNotConfigured(FeatureNotConfigured):
    message, feature = "Discord sign-in is not configured.", "discord_sign_in"


class DiscordCodeInvalid(DomainError):
    code, kind, message = "discord_code_invalid", "invalid", "Discord refused the code (invalid, expired or used)."


class DiscordTokenInvalid(DomainError):
    code, kind, message = (
        "discord_token_invalid",
        "invalid",
        "Discord refused the access token (invalid, expired or revoked).",
    )


class DiscordUnavailable(DomainError):
    """Discord timed out, was unreachable or rate-limited us; ``retry_at`` is when its 429 said
    to try again (None otherwise)."""

    code, kind, message = "discord_unavailable", "unavailable", "Discord cannot be reached right now; try again."

    def __init__(self, retry_at: Any = None, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class DiscordBadGateway(DomainError):
    code, kind, message = "discord_bad_gateway", "bad_gateway", "Discord gave an answer we cannot use; try again."


class DiscordClientRejected(DomainError):
    code, kind, message = "discord_client_rejected", "bad_gateway", "Discord refused this server's client credentials."


class InvalidNext(DomainError):
    code, kind, message = "invalid_next", "invalid", "next must be a URL on an allowed origin."


class DiscordIdRequired(DomainError):
    code, kind, message = "discord_id_required", "invalid", "A service key awards XP to a discord_id."


class DiscordIdNotAllowed(DomainError):
    code, kind, message = (
        "discord_id_not_allowed",
        "forbidden",
        "A player adds XP only for themself; discord_id needs a service key.",
    )


# --- the Discord app (interactions, Linked Roles; docs/discord.md) ---


class InteractionSignatureInvalid(DomainError):
    code, kind, message = "invalid_signature", "unauthenticated", "The interaction signature does not match."


class InteractionTimestampInvalid(DomainError):
    code, kind, message = (
        "invalid_timestamp",
        "unauthenticated",
        "The interaction's X-Signature-Timestamp is too old or too far ahead (a replay).",
    )


class InteractionsNotConfigured(FeatureNotConfigured):
    message, feature = "DISCORD_PUBLIC_KEY is not set to a hex Ed25519 key on this server.", "discord_interactions"


class InvalidInteraction(DomainError):
    code, kind, message = "invalid_interaction", "invalid", "Not a Discord interaction this server can read."


class LinkedRolesNotConfigured(FeatureNotConfigured):
    message, feature = "Discord Linked Roles are not configured on this server.", "discord_linked_roles"


class InvalidAppToken(DomainError):
    """A bad app token (api/authentication.py turns it into DRF's 401)."""

    code, kind, message = "token_invalid", "unauthenticated", "The token is invalid."


class AppTokenExpired(InvalidAppToken):
    code, kind, message = "token_expired", "unauthenticated", "The token has expired."


class AppTokenRevoked(InvalidAppToken):
    code, kind, message = "token_revoked", "unauthenticated", "This refresh token was already used or revoked."


class AccountCannotSignIn(AppTokenRevoked):
    """A token of an account that is gone or deactivated: the same code, ``token_revoked``."""

    message = "This account cannot sign in."


# --- the player's own account ---------------------------------------------------------------


class InvalidDisplayName(DomainError):
    code, kind, message = (
        "invalid_display_name",
        "invalid",
        "A display name is 2 to 32 characters, without leading or trailing spaces or control characters.",
    )


class DisplayNameTaken(DomainError):
    code, kind, message = (
        "display_name_taken",
        "conflict",
        "Another player is shown under this name (names are compared ignoring case and look-alike characters).",
    )


class DisplayNameNotAllowed(DomainError):
    code, kind, message = (
        "display_name_not_allowed",
        "invalid",
        "Only a service key names the account it adds XP for; change your own name with PATCH /api/v1/user/profile/.",
    )


class ConfirmationRequired(DomainError):
    code, kind, message = (
        "confirmation_required",
        "conflict",
        "Erasing an account cannot be undone: send the request again with this confirmation_token.",
    )


class ConfirmationInvalid(DomainError):
    code, kind, message = (
        "confirmation_invalid",
        "invalid",
        "The confirmation token is invalid, expired or for another account.",
    )


# --- Strava (integrations) ------------------------------------------------------------------


class StravaNotConfigured(FeatureNotConfigured):
    message, feature = (
        "Strava is not set up on this server (STRAVA_CLIENT_ID, STRAVA_CLIENT_SECRET, FIELD_ENCRYPTION_KEY).",
        "strava",
    )


class StravaInvalidState(DomainError):
    code, kind, message = "strava_invalid_state", "invalid", "The Strava connection state is wrong, used or expired."


class StravaAccessDenied(DomainError):
    code, kind, message = "strava_access_denied", "invalid", "The athlete did not allow access at Strava."


class StravaScopeMissing(DomainError):
    code, kind, message = (
        "strava_scope_missing",
        "invalid",
        "Reading activities (activity:read_all) must be allowed at Strava.",
    )


class StravaCodeInvalid(DomainError):
    code, kind, message = "strava_code_invalid", "invalid", "Strava refused the authorization code."


class StravaAthleteTaken(DomainError):
    code, kind, message = (
        "strava_athlete_taken",
        "conflict",
        "This Strava athlete is already linked to another player.",
    )


class StravaNotConnected(DomainError):
    code, kind, message = "strava_not_connected", "not_found", "No Strava athlete is linked to this player."


class StravaBackfillUsed(DomainError):
    code, kind, message = (
        "strava_backfill_used",
        "conflict",
        "The last 7 days were already imported once for this connection.",
    )


class StravaUnavailable(DomainError):
    """Strava timed out, was unreachable or answered 5xx: worth retrying later."""

    code, kind, message = "strava_unavailable", "unavailable", "Strava cannot be reached right now."


class StravaBadGateway(DomainError):
    code, kind, message = "strava_bad_gateway", "bad_gateway", "Strava answered with something unusable."


class StravaRateLimited(DomainError):
    """Strava's rate limit is used up; ``retry_at`` is when its window resets."""

    code, kind, message = "strava_rate_limited", "unavailable", "Strava's rate limit is used up; try again later."

    def __init__(self, retry_at: Any = None, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class StravaAuthorizationRevoked(DomainError):
    code, kind, message = "strava_authorization_revoked", "forbidden", "The athlete revoked access at Strava."


class StravaObjectNotFound(DomainError):
    code, kind, message = "strava_object_not_found", "not_found", "Strava has no such object."


class StravaNotHeld(DomainError):
    code, kind, message = "strava_not_held", "conflict", "Only an activity held for review can be approved or rejected."


class StravaVerifyTokenInvalid(DomainError):
    code, kind, message = "strava_verify_token_invalid", "forbidden", "Wrong hub.verify_token or hub.mode."


class StravaChallengeMissing(DomainError):
    code, kind, message = "strava_challenge_missing", "invalid", "hub.challenge is missing."


class StravaUnknownSubscription(DomainError):
    code, kind, message = "strava_unknown_subscription", "forbidden", "This event is not from our Strava subscription."


class InvalidWebhookUrl(DomainError):
    code, kind, message = "invalid_webhook_url", "invalid", "A webhook URL is an absolute http(s) URL with a host."


class WebhookTargetRefused(DomainError):
    code, kind, message = (
        "webhook_target_refused",
        "invalid",
        "Webhook targets must resolve to public addresses (not private, loopback, link-local, multicast or reserved).",
    )


class UnknownEventType(DomainError):
    code, kind, message = "unknown_event_type", "invalid", "No such event type."


class UnknownWebhook(DomainError):
    code, kind, message = "unknown_webhook", "not_found", "No such webhook endpoint."


# --- operations (docs/operations.md) ---


class MetricsTokenInvalid(DomainError):
    code, kind, message = (
        "metrics_token_invalid",
        "unauthenticated",
        "GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>.",
    )


# --- streaks, achievements, boosts (issue 26) ---------------------------------------------------


class InvalidTimezone(DomainError):
    code, kind, message = "invalid_timezone", "invalid", "Not an IANA time zone name (such as Europe/Berlin)."


class UnknownMode(DomainError):
    code, kind, message = "unknown_mode", "not_found", "No such mode (reality or cyber)."


class NoActiveStreak(DomainError):
    code, kind, message = "no_active_streak", "conflict", "There is no streak to protect in this mode."


class NoStreakFreeze(DomainError):
    code, kind, message = "no_streak_freeze", "conflict", "No streak freeze is held in this mode."


# --- claims and peer review (docs/domain.md "Claims") ------------------------------------------


class UnknownClaim(DomainError):
    code, kind, message = "unknown_claim", "not_found", "No such claim."
    discord = "I can't find that claim."


class ClaimAlreadyDecided(DomainError):
    code, kind, message = "claim_decided", "conflict", "This claim is already decided."


class ClaimWithModerators(DomainError):
    code, kind, message = (
        "claim_with_moderators",
        "conflict",
        "This claim waited too long for the community; only moderators decide it now.",
    )
    discord = "This claim waited too long; the moderators decide it now."


class OwnClaim(DomainError):
    code, kind, message = "own_claim", "forbidden", "You cannot judge your own claim."


class NotClaimOwner(DomainError):
    code, kind, message = "not_claim_owner", "forbidden", "Only the player who made the claim can add proof."


class ReviewerTooNew(DomainError):
    code, kind, message = "reviewer_too_new", "forbidden", "Your account is too new to review claims."
    discord = "Your iGoUltra account is too new to review claims (at least %(min_account_days)s days)."


class ReviewerLayerTooLow(DomainError):
    code, kind, message = (
        "reviewer_layer_too_low",
        "forbidden",
        "Your layer in this mode is below the claimant's; you cannot judge this claim.",
    )
    discord = "You can judge claims of players up to your own layer; this one is in %(required_layer)s."


class ReviewLimitReached(DomainError):
    code, kind, message = (
        "review_limit_reached",
        "forbidden",
        "You have judged this player's claims often enough this month.",
    )


class ReviewerSuspended(DomainError):
    code, kind, message = (
        "reviewer_suspended",
        "forbidden",
        "Your recent votes often went against the outcome; you cannot review for a while.",
    )
    discord = "Your recent votes often went against the outcome; you can review again later."


class AlreadyVoted(DomainError):
    code, kind, message = "already_voted", "conflict", "You already voted on this claim; votes are final."
    discord = "You already voted on this claim (votes are final)."


class NotModerator(DomainError):
    code, kind, message = "not_moderator", "forbidden", "Only moderators (staff) decide claims."


class InvalidProofUrl(DomainError):
    code, kind, message = "invalid_proof_url", "invalid", "Proof is an https URL with a host."


# --- quests ---------------------------------------------------------------------------------


class UnknownQuest(DomainError):
    code, kind, message = "unknown_quest", "not_found", "No such quest."
    discord = "I can't find that quest. /quests lists the open ones."


class QuestNotOpen(DomainError):
    code, kind, message = "quest_not_open", "conflict", "This quest has ended."


class QuestAlreadyJoined(DomainError):
    code, kind, message = "quest_already_joined", "conflict", "You already take part in this quest."
    discord = "You already take part in this challenge."


class QuestNotJoined(DomainError):
    code, kind, message = "quest_not_joined", "conflict", "You do not take part in this quest."


class QuestNotActive(DomainError):
    code, kind, message = "quest_not_active", "conflict", "This quest is no longer active for you."


class QuestNotAGoal(DomainError):
    code, kind, message = "quest_not_a_goal", "conflict", "Only a goal can be abandoned; leave a challenge instead."


class QuestNotAChallenge(DomainError):
    code, kind, message = "quest_not_a_challenge", "conflict", "A goal cannot be joined or left; abandon it instead."


class TooManyGoals(DomainError):
    code, kind, message = "too_many_goals", "rule", "You already have as many active goals as allowed."
    discord = "You already have %(max_active_goals)s active goals. Reach or abandon one first."


class GoalDeadlineOutOfRange(DomainError):
    code, kind, message = (
        "goal_deadline_out_of_range",
        "invalid",
        "A goal's deadline must be in the future and at most 90 days away.",
    )


class QuestActivityRequired(DomainError):
    code, kind, message = "quest_activity_or_mode_required", "invalid", "Name an activity, or a mode for an XP target."


class QuestLayerTooLow(LayerTooLow):
    """The same code as an event's gate (``layer_too_low``), said of a quest."""

    message = "Your layer is too low for this quest."


class ChallengeManagerRequired(DomainError):
    code, kind, message = (
        "challenge_manager_required",
        "forbidden",
        "Only staff or a service key with the scope quests:manage can set up a challenge.",
    )


class QuestNotPendingReview(DomainError):
    code, kind, message = "quest_not_pending_review", "conflict", "This completion is not awaiting review."


class QuestReviewerRequired(DomainError):
    code, kind, message = (
        "quest_reviewer_required",
        "forbidden",
        "Only staff or a service key with the scope claims:moderate can decide a completion.",
    )


# --- the API edge: credentials, CSRF, throttling, parsing, routing (api/) -----------------------
# Raised by DRF or Django rather than by a service; api/exception_handler.py and api/errors.py
# answer them with these codes and texts (the texts are DRF's and Django's own where they exist).


class InvalidInput(DomainError):
    """A validation error without a field code (the field codes are the serializers')."""

    code, kind, message = "invalid", "invalid", "Invalid input."


class BadRequest(DomainError):
    code, kind, message = "bad_request", "invalid", "Bad request."


class ParseError(DomainError):
    code, kind, message = "parse_error", "invalid", "Malformed request."


class UnknownField(DomainError):
    """A request body field the endpoint does not accept (api/fields.py)."""

    code, kind, message = "unknown_field", "invalid", "This field is not accepted."


class CodeOrTokenRequired(DomainError):
    code, kind, message = "code_or_token_required", "invalid", "Send either code (with redirect_uri) or access_token."


class NotAllowedForGoal(DomainError):
    code, kind, message = (
        "not_allowed_for_goal",
        "invalid",
        "Only a challenge sets this; a goal's reward is the system's.",
    )


class NotAuthenticated(DomainError):
    code, kind, message = "not_authenticated", "unauthenticated", "Authentication credentials were not provided."


class AuthenticationFailed(DomainError):
    code, kind, message = "authentication_failed", "unauthenticated", "Incorrect authentication credentials."


class InvalidApiKey(DomainError):
    code, kind, message = "invalid_api_key", "unauthenticated", "Unknown, revoked or expired API key."


class PermissionDenied(DomainError):
    code, kind, message = "permission_denied", "forbidden", "You do not have permission to perform this action."


class MissingScope(DomainError):
    """A service key without the endpoint's scope (``scope`` says which)."""

    code, kind, message = "missing_scope", "forbidden", "This API key lacks the scope this endpoint needs."


class ServiceKeyRequired(DomainError):
    code, kind, message = "service_key_required", "forbidden", "This endpoint is for service keys."


class CsrfFailed(DomainError):
    """An unsafe method under a session without a valid CSRF token (``reason`` says why)."""

    code, kind, message = "csrf_failed", "forbidden", "CSRF verification failed. Request aborted."


class NotFound(DomainError):
    code, kind, message = "not_found", "not_found", "Not found."


class MethodNotAllowed(DomainError):
    code, kind, message = "method_not_allowed", "method_not_allowed", "Method not allowed."


class NotAcceptable(DomainError):
    code, kind, message = "not_acceptable", "not_acceptable", "Could not satisfy the request Accept header."


class PayloadTooLarge(DomainError):
    code, kind, message = "payload_too_large", "too_large", "The request body is too large."


class UnsupportedMediaType(DomainError):
    code, kind, message = "unsupported_media_type", "unsupported_media_type", "Unsupported media type in request."


class Throttled(DomainError):
    code, kind, message = "throttled", "throttled", "Request was throttled."


class ServerError(DomainError):
    code, kind, message = "server_error", "server_error", "Something went wrong on our side."


class DatabaseUnavailable(DomainError):
    code, kind, message = (
        "database_unavailable",
        "unavailable",
        "The database is unavailable right now; retry in %(seconds)d seconds.",
    )


# --- OAuth flows that end in a redirect (sign-in, Linked Roles): ?auth_error=<code> -------------


class InvalidOAuthState(DomainError):
    """The OAuth state is wrong, used, expired, from another browser or for another player
    (api/oauth_state.py); Strava's flow answers its own code, ``strava_invalid_state``."""

    code, kind, message = "invalid_state", "invalid", "The sign-in state is wrong, used or expired; start again."


class OAuthAccessDenied(DomainError):
    code, kind, message = "access_denied", "forbidden", "You did not allow access at Discord."


class OAuthScopeMissing(DomainError):
    code, kind, message = "scope_missing", "forbidden", "Discord did not grant the permission this needs."


class OAuthAccountMismatch(DomainError):
    code, kind, message = (
        "account_mismatch",
        "forbidden",
        "You allowed access with another Discord account than the one you are signed in with.",
    )


# --- the Discord app -----------------------------------------------------------------------------


class DiscordRefused(DomainError):
    """A refusal that only exists on Discord (never an HTTP answer); its message is the player's
    text, given where it is raised (community/interactions.py ``Refused``)."""

    code, kind, message = "discord_refused", "invalid", "I can't do that."
