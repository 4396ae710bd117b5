"""Issue 22, point 8: webhook signing secrets are stored encrypted (FIELD_ENCRYPTION_KEY), never
in clear; deliveries still sign with the secret the subscriber was given."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as global_apps
from django.db import connection

from events.models import WebhookEndpoint
from tests.events.test_webhooks_api import key_client
from ultrabackend import crypto

pytestmark = pytest.mark.django_db


def stored_columns(endpoint_id: int) -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM events_webhookendpoint WHERE id = %s", [endpoint_id])
        names = [c.name for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def test_a_created_secret_is_not_stored_in_clear():
    client, _ = key_client("webhooks:manage")
    made = client.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9000/h", "event_types": ["level_up"]}, format="json"
    )
    assert made.status_code == 201, made.content
    secret = made.json()["secret"]
    row = stored_columns(made.json()["id"])
    assert "secret" not in row
    assert all(secret not in str(value) for value in row.values())
    assert crypto.decrypt(row["secret_encrypted"]) == secret
    assert WebhookEndpoint.objects.get().secret == secret


def test_the_migration_encrypts_secrets_already_stored():
    migration = importlib.import_module("events.migrations.0002_webhook_secret_encrypted")

    class Old:  # the 0002 state: both columns, the clear one filled
        pk = 1
        secret = "whsec_" + "A" * 32

    class Manager:
        updated: dict[str, str] = {}

        def only(self, *names: str) -> Manager:
            return self

        def iterator(self) -> list[Old]:
            return [Old()]

        def filter(self, **lookup: object) -> Manager:
            return self

        def update(self, **values: str) -> None:
            Manager.updated.update(values)

    class Model:
        objects = Manager()

    class Apps:
        def get_model(self, app: str, name: str) -> type[Model]:
            return Model

    migration.encrypt_secrets(Apps(), None)
    assert crypto.decrypt(Manager.updated["secret_encrypted"]) == Old.secret
    assert global_apps.get_model("events", "WebhookEndpoint") is WebhookEndpoint
