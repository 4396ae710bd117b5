"""Domain errors. Each has a stable machine-readable ``code``; the API edge maps kinds to statuses.

Nothing here knows HTTP: ``kind`` says what class of refusal it is (api/exception_handler.py
turns it into a status).
"""

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    # invalid | unauthenticated | not_found | forbidden | conflict | rule | bad_gateway | unavailable
    kind = "invalid"
    message = "The request was refused."

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.message
        self.details = details
        super().__init__(self.message)


class FeatureNotConfigured(DomainError):
    """A feature this server was not set up for (its settings are missing): one answer for all of
    them, 503 ``feature_not_configured``; ``feature`` says which."""

    code, kind, message = "feature_not_configured", "unavailable", "This feature is not configured on this server."
    feature = ""

    def __init__(self, message: str | None = None, **details: Any) -> None:
        super().__init__(message, **{"feature": self.feature, **details})


class UnknownActivity(DomainError):
    code, kind, message = "unknown_activity", "invalid", "No such activity."


class ActivityNotReportable(DomainError):
    code, kind, message = (
        "activity_not_reportable",
        "invalid",
        "This activity is awarded by the game itself and cannot be reported.",
    )


class InactiveActivity(DomainError):
    code, kind, message = "inactive_activity", "invalid", "This activity is not active."


class ModeMismatch(DomainError):
    code, kind, message = "mode_mismatch", "invalid", "The activity does not belong to that mode."


class UnitsNotPositive(DomainError):
    code, kind, message = "units_not_positive", "invalid", "Units must be greater than zero."


class UnitsOverEntryMaximum(DomainError):
    # A value that is not allowed is 400 like units_not_positive (docs/api-contract.md); 422 is
    # for a rule that depends on the state (the daily cap).
    code, kind, message = "units_over_entry_max", "invalid", "Too many units for one entry."


class DailyCapExceeded(DomainError):
    code, kind, message = "daily_cap_exceeded", "rule", "This would exceed the daily cap for the activity."


class IdempotencyKeyReused(DomainError):
    code, kind, message = (
        "idempotency_key_reused",
        "conflict",
        "This Idempotency-Key was already used for a different request.",
    )


class AlreadyCorrected(DomainError):
    code, kind, message = "already_corrected", "conflict", "This entry was already corrected."


class NotCorrectable(DomainError):
    code, kind, message = "not_correctable", "invalid", "A correction cannot itself be corrected."


class ReasonRequired(DomainError):
    code, kind, message = "reason_required", "invalid", "A correction needs a reason."


class InvalidDiscordId(DomainError):
    code, kind, message = "invalid_discord_id", "invalid", "Not a Discord id (17 to 20 digits)."


class AccountDisabled(DomainError):
    """The one code for a deactivated account, whoever asks (sign-in, a bot awarding XP)."""

    code, kind, message = "account_disabled", "forbidden", "This account is disabled."


class UnknownSeason(DomainError):
    code, kind, message = "unknown_season", "not_found", "No such season."


class InvalidSeasonId(DomainError):
    code, kind, message = "invalid_season", "invalid", "A season is identified as YYYY-MM."


class UnknownLeague(DomainError):
    code, kind, message = "unknown_league", "invalid", "No such league."


class LayerTooLow(DomainError):
    code, kind, message = "layer_too_low", "forbidden", "Your layer is too low for this event."


class EventFull(DomainError):
    code, kind, message = "event_full", "conflict", "This event is full."


class AlreadyJoined(DomainError):
    code, kind, message = "already_joined", "conflict", "You already joined this event."


class NotJoined(DomainError):
    code, kind, message = "not_joined", "conflict", "You have not joined this event."


class EventNotOpen(DomainError):
    code, kind, message = "event_not_open", "conflict", "This event is outside its time window."


class UnknownEvent(DomainError):
    code, kind, message = "unknown_event", "not_found", "No such event."


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
    """A bad app token; ``code`` is token_invalid, token_expired or token_revoked."""

    code, kind, message = "token_invalid", "unauthenticated", "The token is invalid."

    def __init__(self, code: str = "token_invalid", message: str | None = None) -> None:
        super().__init__(message)
        self.code = code


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


class ClaimAlreadyDecided(DomainError):
    code, kind, message = "claim_decided", "conflict", "This claim is already decided."


class ClaimWithModerators(DomainError):
    code, kind, message = (
        "claim_with_moderators",
        "conflict",
        "This claim waited too long for the community; only moderators decide it now.",
    )


class OwnClaim(DomainError):
    code, kind, message = "own_claim", "forbidden", "You cannot judge your own claim."


class NotClaimOwner(DomainError):
    code, kind, message = "not_claim_owner", "forbidden", "Only the player who made the claim can add proof."


class ReviewerTooNew(DomainError):
    code, kind, message = "reviewer_too_new", "forbidden", "Your account is too new to review claims."


class ReviewerLayerTooLow(DomainError):
    code, kind, message = (
        "reviewer_layer_too_low",
        "forbidden",
        "Your layer in this mode is below the claimant's; you cannot judge this claim.",
    )


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


class AlreadyVoted(DomainError):
    code, kind, message = "already_voted", "conflict", "You already voted on this claim; votes are final."


class NotModerator(DomainError):
    code, kind, message = "not_moderator", "forbidden", "Only moderators (staff) decide claims."


class InvalidProofUrl(DomainError):
    code, kind, message = "invalid_proof_url", "invalid", "Proof is an https URL with a host."


# --- quests ---------------------------------------------------------------------------------


class UnknownQuest(DomainError):
    code, kind, message = "unknown_quest", "not_found", "No such quest."


class QuestNotOpen(DomainError):
    code, kind, message = "quest_not_open", "conflict", "This quest has ended."


class QuestAlreadyJoined(DomainError):
    code, kind, message = "quest_already_joined", "conflict", "You already take part in this quest."


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
