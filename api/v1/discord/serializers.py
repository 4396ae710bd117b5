"""The shapes of the Discord interactions endpoint as Discord defines them (documented here so the
schema is exact; the view reads the raw signed body itself)."""

from typing import Any

from rest_framework import serializers


class InteractionSerializer(serializers.Serializer[Any]):
    """An interaction as Discord POSTs it (https://discord.com/developers/docs/interactions)."""

    id = serializers.CharField(help_text="The interaction's snowflake (the /log idempotency key).")
    application_id = serializers.CharField(required=False)
    type = serializers.ChoiceField(choices=[1, 2, 3, 4], help_text="1 PING, 2 command, 3 component, 4 autocomplete.")
    token = serializers.CharField(required=False, help_text="For follow-up messages (15 minutes).")
    member = serializers.JSONField(required=False, help_text="The invoking member in a server.")
    user = serializers.JSONField(required=False, help_text="The invoking user in a DM.")
    guild_id = serializers.CharField(required=False)

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        # "data" as a class attribute would shadow Serializer.data.
        return {
            **super().get_fields(),
            "data": serializers.JSONField(required=False, help_text="The command, its options, or a custom_id."),
        }


class InteractionResponseSerializer(serializers.Serializer[Any]):
    """Discord's interaction response: 1 PONG, 4 message (embeds), 5 deferred, 6 deferred update, 7 update message
    (pagination buttons), 8 autocomplete choices."""

    type = serializers.ChoiceField(choices=[1, 4, 5, 6, 7, 8])

    def get_fields(self) -> dict[str, serializers.Field]:  # type: ignore[type-arg]
        return {
            **super().get_fields(),
            "data": serializers.JSONField(required=False, help_text="Embeds, components and flags (64: ephemeral)."),
        }
