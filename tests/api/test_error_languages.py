"""Error texts follow Accept-Language (English, German); the machine-readable codes never change."""

import pytest
from django.utils import translation
from rest_framework.test import APIClient

import core.exceptions as domain

pytestmark = pytest.mark.django_db


def test_error_detail_is_german_when_asked_and_the_code_stays(player_client):
    english = player_client.post("/api/v1/xp/add/", {"activity": "no-such-thing", "units": 1}, format="json")
    german = player_client.post(
        "/api/v1/xp/add/",
        {"activity": "no-such-thing", "units": 1},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9",
    )
    assert english.status_code == german.status_code == 400
    assert english.json()["code"] == german.json()["code"] == "unknown_activity"
    assert english.json()["detail"] == "No such activity."
    assert german.json()["detail"] == "Diese Aktivität gibt es nicht."


def test_validation_and_authentication_errors_are_translated_too():
    anonymous = APIClient().get("/api/v1/user/profile/", HTTP_ACCEPT_LANGUAGE="de")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "not_authenticated"
    assert anonymous.json()["detail"] != APIClient().get("/api/v1/user/profile/").json()["detail"]
    bad_key = APIClient(HTTP_AUTHORIZATION="Api-Key nope").get("/api/v1/activities/", HTTP_ACCEPT_LANGUAGE="de")
    assert bad_key.json() == {
        "code": "invalid_api_key",
        "detail": "Unbekannter, widerrufener oder abgelaufener API-Schlüssel.",
    }
    unknown_url = APIClient().get("/api/v1/nowhere/", HTTP_ACCEPT_LANGUAGE="de")
    assert unknown_url.status_code == 404 and unknown_url.json()["detail"] == "Nicht gefunden."


def test_an_unsupported_language_falls_back_to_english(player_client):
    response = player_client.post(
        "/api/v1/xp/add/", {"activity": "pushups", "units": -1}, format="json", HTTP_ACCEPT_LANGUAGE="fr"
    )
    assert response.json()["detail"] == "Units must be greater than zero."


def test_every_domain_error_has_a_german_text():
    errors = [c for c in vars(domain).values() if isinstance(c, type) and issubclass(c, domain.DomainError)]
    with translation.override("de"):
        missing = sorted({c.message for c in errors if translation.gettext(c.message) == c.message})
    assert missing == []
