"""Shapes for the sign-in endpoints (validation only)."""

from typing import Any

from rest_framework import serializers

from api.errors import field_error
from api.fields import NoUnknownFieldsMixin
from core.exceptions import CodeOrTokenRequired
from users.models import CustomUser


class UserSerializer(serializers.ModelSerializer[CustomUser]):
    # The same shape as the profile: the public name, and null (not "") without an avatar.
    display_name = serializers.CharField(source="public_name", read_only=True)
    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = CustomUser
        fields = ["id", "username", "display_name", "avatar_url", "discord_id"]

    def get_avatar_url(self, user: CustomUser) -> str | None:
        return user.avatar_url or None


class DiscordSignInSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    extra_error_codes = [CodeOrTokenRequired.code]  # raised by validate (api/schema.py)
    # Sent to Discord exactly as given (no trimming: "abc " is not "abc").
    code = serializers.CharField(max_length=512, required=False, trim_whitespace=False)
    # Any scheme: native apps register custom ones (igoultra://auth); Discord checks it exactly.
    redirect_uri = serializers.CharField(max_length=1000, required=False, trim_whitespace=False)
    access_token = serializers.CharField(max_length=512, required=False, trim_whitespace=False)
    client = serializers.ChoiceField(choices=["browser", "app"], default="browser")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_code, has_token = bool(attrs.get("code")), bool(attrs.get("access_token"))
        if has_code == has_token:
            raise serializers.ValidationError(field_error(CodeOrTokenRequired))
        if has_code and not attrs.get("redirect_uri"):
            raise serializers.ValidationError(
                {"redirect_uri": [serializers.ErrorDetail("redirect_uri is required with code.", code="required")]}
            )
        return attrs


class RefreshSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2000, trim_whitespace=False)


class LogoutSerializer(serializers.Serializer[Any]):
    """Optional: an app also hands in its refresh token, which is used up."""

    refresh = serializers.CharField(max_length=2000, required=False)


class BrowserSignInStartSerializer(serializers.Serializer[Any]):
    """A form POST to /auth/discord/ starts the browser flow, like GET."""

    next = serializers.CharField(required=False, help_text="URL to land on after sign-in (allowed origins only).")


class SessionSerializer(serializers.Serializer[Any]):
    """Who is signed in, and how (a browser session or an app token)."""

    user = UserSerializer()
    method = serializers.ChoiceField(choices=["session", "token"])


class SessionSignInSerializer(serializers.Serializer[Any]):
    """A browser signed in: the session cookie is set."""

    user = UserSerializer()
    method = serializers.ChoiceField(choices=["session"])


class TokenPairSerializer(serializers.Serializer[Any]):
    """An app signed in: send ``access`` as ``Authorization: Bearer``; trade ``refresh`` at
    /auth/token/refresh/ for a new pair (each refresh token works once)."""

    user = UserSerializer()
    method = serializers.ChoiceField(choices=["token"])
    access = serializers.CharField(help_text="Access token (JWT), valid expires_in seconds.")
    refresh = serializers.CharField(help_text="Refresh token (JWT), valid refresh_expires_in seconds, usable once.")
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField(min_value=1)
    refresh_expires_in = serializers.IntegerField(min_value=1)


class CSRFTokenSerializer(serializers.Serializer[Any]):
    csrf_token = serializers.CharField(help_text="Send it back as the X-CSRFToken header.")


SESSION = SessionSerializer()
TOKEN_PAIR = TokenPairSerializer()
SESSION_SIGN_IN = SessionSignInSerializer()
