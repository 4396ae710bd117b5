"""Shapes of the Discord endpoints for the OpenAPI schema (documentation only: the body is read
raw, because the signature covers its exact bytes)."""

from typing import Any

from rest_framework import serializers


class InteractionSerializer(serializers.Serializer[Any]):
    """An interaction as Discord sends it (the fields the backend reads)."""

    id = serializers.CharField(help_text="The interaction id (``/log`` is idempotent on it).")
    application_id = serializers.CharField()
    type = serializers.IntegerField(help_text="1 PING, 2 command, 3 button, 4 autocomplete.")
    token = serializers.CharField(help_text="For the follow-up of a deferred answer.")
    guild_id = serializers.CharField(required=False)
    member = serializers.JSONField(required=False, help_text="In a server: member.user is the sender.")
    user = serializers.JSONField(required=False, help_text="In a DM: the sender.")
    locale = serializers.CharField(required=False, help_text="The sender's language (refusals in German for de).")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # ``data`` as a declared attribute would hide Serializer.data.
        return {
            **super().get_fields(),
            "data": serializers.JSONField(
                required=False, help_text="The command and its options, or the button's custom_id."
            ),
        }


class InteractionResponseSerializer(serializers.Serializer[Any]):
    """The interaction response: 1 PONG, 4 message, 5 / 6 deferred, 7 message update, 8 choices."""

    type = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        # ``data`` as a declared attribute would hide Serializer.data.
        return {
            **super().get_fields(),
            "data": serializers.JSONField(
                required=False,
                help_text="Embeds and buttons (flags 64: only the sender sees it), or autocomplete choices.",
            ),
        }
