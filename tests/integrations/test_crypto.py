"""Secrets at rest: Fernet with FIELD_ENCRYPTION_KEY, several keys for rotation."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from ultrabackend import crypto


def test_a_value_round_trips_and_is_not_stored_in_clear(settings: Any):
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    token = crypto.encrypt("a-strava-access-token")
    assert "a-strava-access-token" not in token
    assert crypto.decrypt(token) == "a-strava-access-token"


def test_a_new_key_first_still_opens_old_values_and_rotate_moves_them(settings: Any):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = old
    stored = crypto.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEY = f"{new}, {old}"
    assert crypto.decrypt(stored) == "secret"
    rotated = crypto.rotate(stored)
    settings.FIELD_ENCRYPTION_KEY = new  # the old key dropped after rotating
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(stored)


def test_without_a_key_one_is_derived_from_the_secret_key(settings: Any):
    settings.FIELD_ENCRYPTION_KEY = ""
    assert crypto.is_configured()
    stored = crypto.encrypt("secret")
    assert crypto.decrypt(stored) == "secret"
    settings.SECRET_KEY = "another-secret-key-entirely-another-secret-key-entirely"
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(stored)


def test_a_malformed_key_is_a_configuration_error(settings: Any):
    settings.FIELD_ENCRYPTION_KEY = "not-a-key"
    assert not crypto.is_configured()
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_connect_refuses_with_a_malformed_encryption_key(settings: Any, player_client: Any):
    settings.STRAVA_CLIENT_ID, settings.STRAVA_CLIENT_SECRET = "1", "s"
    settings.FIELD_ENCRYPTION_KEY = "not-a-key"
    answer = player_client.get("/api/v1/integrations/strava/connect/")
    assert (answer.status_code, answer.json()["code"]) == (503, "feature_not_configured")
