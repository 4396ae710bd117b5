"""CSRF for cookie sessions, CORS for the frontend origin only."""

import pytest
from rest_framework.test import APIClient

FRONTEND = "https://app.igoultra.test"


@pytest.fixture(autouse=True)
def frontend_origin(settings):  # type: ignore[no-untyped-def]
    settings.FRONTEND_URL = FRONTEND
    settings.CORS_ALLOWED_ORIGINS = [FRONTEND]
    settings.CSRF_TRUSTED_ORIGINS = [FRONTEND]


@pytest.fixture
def browser(player):  # type: ignore[no-untyped-def]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(player)
    return client


@pytest.mark.django_db
def test_unsafe_request_with_session_and_no_csrf_token_is_403(browser):
    response = browser.post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json", HTTP_ORIGIN=FRONTEND)
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_unsafe_request_with_the_csrf_token_passes(browser, settings):
    settings.ALLOWED_HOSTS = ["api.igoultra.test", "testserver"]
    token = browser.get("/api/v1/auth/csrf/").json()["csrf_token"]
    assert browser.cookies["csrftoken"].value
    response = browser.post(
        "/api/v1/xp/add/",
        {"activity": "pushups", "units": 1},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN=FRONTEND,
        HTTP_HOST="api.igoultra.test",
        secure=True,
    )
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_csrf_token_from_another_origin_is_refused(browser, settings):
    settings.ALLOWED_HOSTS = ["api.igoultra.test"]
    token = browser.get("/api/v1/auth/csrf/", HTTP_HOST="api.igoultra.test").json()["csrf_token"]
    response = browser.post(
        "/api/v1/xp/add/",
        {"activity": "pushups", "units": 1},
        format="json",
        HTTP_X_CSRFTOKEN=token,
        HTTP_ORIGIN="https://evil.test",
        HTTP_HOST="api.igoultra.test",
        secure=True,
    )
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


@pytest.mark.django_db
def test_logout_with_session_needs_csrf(browser):
    assert browser.post("/api/v1/auth/logout/").status_code == 403
    token = browser.get("/api/v1/auth/csrf/").json()["csrf_token"]
    assert browser.post("/api/v1/auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 204


def preflight(origin: str):  # type: ignore[no-untyped-def]
    return APIClient().options(
        "/api/v1/xp/add/",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken, idempotency-key",
    )


@pytest.mark.django_db
def test_cors_preflight_from_the_frontend_passes_with_credentials():
    response = preflight(FRONTEND)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert response["Access-Control-Allow-Credentials"] == "true"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "x-csrftoken" in allowed and "idempotency-key" in allowed


@pytest.mark.django_db
def test_cors_preflight_from_another_origin_gets_no_cors_headers():
    response = preflight("https://evil.test")
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Credentials" not in response
