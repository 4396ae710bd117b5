"""Sign-in refusals, each with a stable code (api/exception_handler.py maps ``kind`` to a status)."""

from rest_framework import exceptions

from core.exceptions import DomainError


class DiscordNotConfigured(DomainError):
    code, kind, message = "discord_not_configured", "unavailable", "Discord sign-in is not configured."


class DiscordCodeInvalid(DomainError):
    code, kind, message = "discord_code_invalid", "invalid", "Discord refused the code (invalid, expired or used)."


class DiscordTokenInvalid(DomainError):
    code, kind, message = (
        "discord_token_invalid",
        "invalid",
        "Discord refused the access token (invalid, expired or revoked).",
    )


class DiscordUnavailable(DomainError):
    code, kind, message = "discord_unavailable", "unavailable", "Discord cannot be reached right now; try again."


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


class TokenError(exceptions.AuthenticationFailed):
    """A bad app token: 401 with code token_invalid, token_expired or token_revoked."""

    def __init__(self, code: str = "token_invalid", detail: str = "The token is invalid.") -> None:
        super().__init__(detail=detail, code=code)
