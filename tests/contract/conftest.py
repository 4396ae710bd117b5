"""Contract tests share the stand-in Discord of the sign-in tests."""

import pytest  # noqa: E402

from tests.auth.conftest import discord  # noqa: F401  (the fixture)


@pytest.fixture(autouse=True)
def strava_configured(settings):  # type: ignore[no-untyped-def]
    """The Strava app is set up (its endpoints answer, not 503 strava_not_configured); nothing
    the fuzzer can send reaches Strava itself (the callback's signed state comes first), and the
    URLs point at a closed local port in case one did."""
    settings.STRAVA_CLIENT_ID = "12345"
    settings.STRAVA_CLIENT_SECRET = "stand-in-secret"
    settings.STRAVA_API_URL = "http://127.0.0.1:9/api/v3"
    settings.STRAVA_OAUTH_URL = "http://127.0.0.1:9/oauth"
