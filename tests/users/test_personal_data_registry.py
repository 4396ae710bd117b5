"""Erasure and export know every personal datum: every model with a user foreign key or a
Discord id is in core/personal_data.py, the export has a key for each, and erasure deletes the
rows of those marked DELETE. (The Discord side of erasure: tests/discord/test_erasure.py.)"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from community.models import GuildMember
from core.personal_data import CUSTOM, DELETE, KEEP, PERSONAL_DATA

GUILD_ID = "300000000000000001"


def personal_models() -> dict[str, list[str]]:
    """Every installed model with a foreign key to the user model or a field named like a
    Discord id, with those fields' names."""
    user_model = get_user_model()
    found: dict[str, list[str]] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if (field.is_relation and field.related_model is user_model) or "discord_id" in field.name:
                found.setdefault(model._meta.label, []).append(field.name)
    return found


def erase(client: APIClient) -> None:
    token = client.delete("/api/v1/user/").json()["confirmation_token"]
    assert client.delete("/api/v1/user/", {"confirmation_token": token}, format="json").status_code == 204


def test_every_model_with_a_user_key_or_a_discord_id_is_in_the_registry():
    found = personal_models()
    assert {"community.DiscordLink", "community.GuildMember", "layers.EventParticipation"} <= set(found)
    missing = sorted(set(found) - set(PERSONAL_DATA))
    assert not missing, f"say in core/personal_data.py how export and erasure handle {missing}"
    stale = sorted(label for label in PERSONAL_DATA if label not in {m._meta.label for m in apps.get_models()})
    assert not stale
    assert {handling.erase for handling in PERSONAL_DATA.values()} <= {DELETE, KEEP, CUSTOM}


@pytest.mark.django_db
def test_the_export_has_a_key_for_every_registered_model_and_erasure_deletes_the_delete_ones(player):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=player, email=player.email, verified=True, primary=True)
    GuildMember.objects.create(guild_id=GUILD_ID, user=player)
    client = APIClient()
    client.force_login(player)
    assert (
        client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 30}, format="json").status_code == 201
    )  # a level-up event
    document = client.get("/api/v1/user/export/").json()
    for label, handling in PERSONAL_DATA.items():
        assert handling.export in document, label
    assert document["email_addresses"][0]["email"] == player.email
    assert document["discord_guilds"][0]["guild_id"] == GUILD_ID
    assert document["daily_usage"] and document["domain_events"]

    erase(client)
    for label, handling in PERSONAL_DATA.items():
        if handling.erase != DELETE:
            continue
        model = apps.get_model(label)
        for field in personal_models()[label]:
            assert not model._default_manager.filter(**{field: player.pk}).exists(), (label, field)
