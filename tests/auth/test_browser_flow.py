"""The browser flow over real HTTP: a live backend, the stand-in Discord, and (once) chromium."""

import os
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from users.models import CustomUser

BOB = "175928847299117063"


@pytest.fixture
def site(live_server, discord, settings, frontend):  # type: ignore[no-untyped-def]
    settings.FRONTEND_URL = frontend
    settings.AUTH_ALLOWED_REDIRECT_ORIGINS = [frontend]
    settings.CORS_ALLOWED_ORIGINS = [frontend]
    discord.add_user(BOB, "bob", global_name="Bob B.")
    discord.current_user = BOB
    return live_server.url


def follow(session: requests.Session, url: str) -> list[requests.Response]:
    """Follow redirects one hop at a time, so each hop can be checked."""
    hops = []
    while True:
        response = session.get(url, allow_redirects=False, timeout=10)
        hops.append(response)
        if response.status_code != 302:
            return hops
        url = response.headers["Location"]
        if not url.startswith(("http://localhost", "http://127.0.0.1")):
            raise AssertionError(url)
        if url.startswith(session.frontend):  # type: ignore[attr-defined]
            return hops


def browser_session(frontend: str) -> requests.Session:
    session = requests.Session()
    session.frontend = frontend  # type: ignore[attr-defined]
    return session


def test_browser_flow_signs_in_and_lands_on_next(site, discord, frontend):
    session = browser_session(frontend)
    start = session.get(
        f"{site}/api/v1/auth/discord/", params={"next": f"{frontend}/welcome?x=1"}, allow_redirects=False
    )
    assert start.status_code == 302
    authorize = urlsplit(start.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert f"{authorize.scheme}://{authorize.netloc}/api/oauth2/authorize" == f"{discord.url}/oauth2/authorize"
    assert query["response_type"] == "code" and set(query["scope"].split()) == {"identify", "email"}
    assert query["client_id"] and len(query["state"]) >= 32
    assert query["redirect_uri"] == f"{site}/api/v1/auth/discord/callback/"

    hops = follow(session, start.headers["Location"])
    assert [h.status_code for h in hops] == [302, 302]  # Discord -> callback -> frontend
    assert hops[-1].headers["Location"] == f"{frontend}/welcome?x=1"
    me = session.get(f"{site}/api/v1/auth/session/")
    assert me.status_code == 200 and me.json()["user"]["discord_id"] == BOB
    assert CustomUser.objects.get(discord_id=BOB).display_name == "Bob B."

    # Logout needs the CSRF token (a session exists); then nobody is signed in.
    assert session.post(f"{site}/api/v1/auth/logout/").status_code == 403
    token = session.get(f"{site}/api/v1/auth/csrf/").json()["csrf_token"]
    out = session.post(f"{site}/api/v1/auth/logout/", headers={"X-CSRFToken": token, "Referer": site + "/"})
    assert out.status_code == 204
    assert session.get(f"{site}/api/v1/auth/session/").status_code == 401


def test_callback_with_wrong_state_signs_nobody_in(site, discord, frontend):
    session = browser_session(frontend)
    start = session.get(f"{site}/api/v1/auth/discord/", allow_redirects=False)
    authorize = start.headers["Location"].replace("state=", "state=forged")
    hops = follow(session, authorize)
    assert hops[-1].headers["Location"] == f"{frontend}/?auth_error=invalid_state"
    assert session.get(f"{site}/api/v1/auth/session/").status_code == 401
    assert not CustomUser.objects.filter(discord_id=BOB).exists()


def test_callback_without_state_or_from_another_browser_signs_nobody_in(site, discord, frontend):
    victim, attacker = browser_session(frontend), browser_session(frontend)
    start = attacker.get(f"{site}/api/v1/auth/discord/", allow_redirects=False)
    callback = attacker.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    # The attacker's callback URL (code and state) replayed in the victim's browser.
    assert victim.get(callback, allow_redirects=False).headers["Location"].endswith("auth_error=invalid_state")
    no_state = callback.split("&state=")[0] if "&state=" in callback else callback.split("state=")[0]
    assert victim.get(no_state, allow_redirects=False).headers["Location"].endswith("auth_error=invalid_state")
    assert victim.get(f"{site}/api/v1/auth/session/").status_code == 401


def test_state_works_only_once(site, discord, frontend):
    session = browser_session(frontend)
    start = session.get(f"{site}/api/v1/auth/discord/", allow_redirects=False)
    callback = session.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    assert session.get(callback, allow_redirects=False).headers["Location"] == f"{frontend}/"
    session.cookies.clear()
    again = session.get(callback, allow_redirects=False)
    assert again.headers["Location"].endswith("auth_error=invalid_state")


def test_user_cancelling_at_discord_lands_on_frontend_with_error(site, discord, frontend):
    discord.current_user = None
    session = browser_session(frontend)
    hops = follow(session, f"{site}/api/v1/auth/discord/")
    assert hops[-1].headers["Location"] == f"{frontend}/?auth_error=access_denied"


def test_next_on_a_foreign_origin_is_refused(site, frontend):
    response = requests.get(
        f"{site}/api/v1/auth/discord/", params={"next": "https://evil.test/x"}, allow_redirects=False
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_next"
    for bad in ("//evil.test/x", "javascript:alert(1)", f"{frontend}.evil.test/"):
        assert (
            requests.get(f"{site}/api/v1/auth/discord/", params={"next": bad}, allow_redirects=False).status_code == 400
        )


def test_form_post_starts_the_flow_with_csrf(site, frontend):
    session = browser_session(frontend)
    refused = session.post(f"{site}/api/v1/auth/discord/", data={"next": "/home"}, allow_redirects=False)
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    token = session.get(f"{site}/api/v1/auth/csrf/").json()["csrf_token"]
    started = session.post(
        f"{site}/api/v1/auth/discord/",
        data={"next": "/home", "csrfmiddlewaretoken": token},
        headers={"Referer": site + "/"},
        allow_redirects=False,
    )
    assert started.status_code == 302 and "/oauth2/authorize?" in started.headers["Location"]
    hops = follow(session, started.headers["Location"])
    assert hops[-1].headers["Location"] == f"{frontend}/home"


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.browser
def test_real_browser_signs_in_and_ends_on_the_frontend_signed_in(site, frontend):
    executable = chromium_path()
    if not executable:
        pytest.skip("needs Debian's chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{site}/api/v1/auth/discord/?next=/welcome%3Fapi%3D{site}", timeout=20_000)
            page.wait_for_function("document.getElementById('who').textContent !== 'checking'", timeout=20_000)
            assert page.url.startswith(f"{frontend}/welcome")
            assert page.text_content("#who") == "signed in as Bob B."
        finally:
            browser.close()


@pytest.mark.parametrize(("failure", "code"), [("5xx", "discord_bad_gateway"), ("429", "discord_unavailable")])
def test_discord_failing_during_the_callback_lands_on_frontend_with_the_code(site, discord, frontend, failure, code):
    session = browser_session(frontend)
    start = session.get(f"{site}/api/v1/auth/discord/", allow_redirects=False)
    callback = session.get(start.headers["Location"], allow_redirects=False).headers["Location"]
    discord.failure = failure
    landed = session.get(callback, allow_redirects=False)
    assert landed.status_code == 302 and landed.headers["Location"] == f"{frontend}/?auth_error={code}"
    assert session.get(f"{site}/api/v1/auth/session/").status_code == 401
