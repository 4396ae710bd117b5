"""Shapes for the sign-in endpoints (validation only)."""

from typing import Any

from rest_framework import serializers

from api.fields import NoUnknownFieldsMixin
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
    # Sent to Discord exactly as given (no trimming: "abc " is not "abc").
    code = serializers.CharField(max_length=512, required=False, trim_whitespace=False)
    # Any scheme: native apps register custom ones (igoultra://auth); Discord checks it exactly.
    redirect_uri = serializers.CharField(max_length=1000, required=False, trim_whitespace=False)
    access_token = serializers.CharField(max_length=512, required=False, trim_whitespace=False)
    client = serializers.ChoiceField(choices=["browser", "app"], default="browser")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        has_code, has_token = bool(attrs.get("code")), bool(attrs.get("access_token"))
        if has_code == has_token:
            raise serializers.ValidationError(
                serializers.ErrorDetail(
                    "Send either code (with redirect_uri) or access_token.", code="code_or_token_required"
                )
            )
        if has_code and not attrs.get("redirect_uri"):
            raise serializers.ValidationError(
                {"redirect_uri": [serializers.ErrorDetail("redirect_uri is required with code.", code="required")]}
            )
        return attrs


class RefreshSerializer(NoUnknownFieldsMixin, serializers.Serializer[Any]):
    refresh = serializers.CharField(max_length=2000, trim_whitespace=False)


class TokenPairSerializer(serializers.Serializer[Any]):
    user = UserSerializer()
    method = serializers.CharField()
    access = serializers.CharField(required=False)
    refresh = serializers.CharField(required=False)
    token_type = serializers.CharField(required=False)
    expires_in = serializers.IntegerField(required=False)
    refresh_expires_in = serializers.IntegerField(required=False)
