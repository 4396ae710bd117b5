"""The community pages in a real browser (Debian's chromium through Playwright), against a live
server whose boards come from the Redis rank index when REDIS_URL is set."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.selectors.seasons.leaderboard import leaderboard
from core.selectors.showcase.showcase import community_board
from core.utils.dates import season_id_for, utc_now
from tests.auth.test_browser_flow import chromium_path

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    executable = chromium_path()
    if not executable:
        pytest.skip("needs Debian's chromium (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.browser
def test_browser_sees_the_board_finds_a_player_and_loads_the_card(live_server, community, browser):
    page = browser.new_page()
    page.goto(f"{live_server.url}/community/", timeout=20_000)
    assert page.title() == "iGoUltra community"
    reality = page.locator("#board-reality-table tbody tr")
    assert reality.count() == 3
    assert [reality.nth(i).locator("td").first.inner_text() for i in range(3)] == ["1", "3", "4"]
    assert reality.first.locator("a").inner_text() == "Ada Lovelace"
    assert page.locator("text=Cyd Hidden").count() == 0

    # The search form, by its label, as a person uses it.
    page.get_by_label("Name starts with").fill("bob")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/community/?q=bob", timeout=20_000)
    results = page.locator("#search-results")
    assert "Bob Runner" in results.inner_text()
    page.get_by_label("Name starts with").fill("cyd")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**/community/?q=cyd", timeout=20_000)
    assert "Cyd" not in page.locator("#search-results").inner_text().replace("“cyd”", "")

    # Ada's page: the card image loads at its size, as a PNG.
    page.goto(f"{live_server.url}/community/", timeout=20_000)
    with page.expect_response(lambda r: "/card.png" in r.url) as card_answer:
        page.get_by_role("link", name="Ada Lovelace").first.click()
    assert card_answer.value.status == 200
    assert card_answer.value.header_value("content-type") == "image/png"
    page.wait_for_function(
        "document.getElementById('card-reality').complete && document.getElementById('card-reality').naturalWidth > 0",
        timeout=20_000,
    )
    size = page.evaluate(
        "[document.getElementById('card-reality').naturalWidth, document.getElementById('card-reality').naturalHeight]"
    )
    assert size == [934, 282]
    assert page.locator("h1").inner_text() == "Ada Lovelace"
    assert (
        page.locator('meta[property="og:image"]').get_attribute("content").endswith("card.png?mode=reality&theme=dark")
    )

    # The hidden player's page is a 404 page.
    answer = page.goto(f"{live_server.url}/community/players/{community['cyd'].pk}/", timeout=20_000)
    assert answer is not None and answer.status == 404
    assert page.locator("h1").inner_text() == "No such player"


def test_live_board_is_read_from_the_rank_index(redis_server, live_server, community):
    season = season_id_for(utc_now())
    board = leaderboard(season_id=season, mode="reality", league=None, offset=0, limit=100, me_id=None)
    assert board.source == "redis"
    assert [(row.rank, row.display_name) for row in community_board("reality")] == [
        (1, "Ada Lovelace"),
        (3, "Bob Runner"),
        (4, "Dee Walker"),
    ]
    # The API's board from the index hides the same player's identity, keeping their rank.
    rows = APIClient().get("/api/v1/seasons/reality/").json()["results"]
    assert [(row["rank"], row["user"]["display_name"]) for row in rows][:2] == [
        (1, "Ada Lovelace"),
        (2, "Hidden player"),
    ]
    # The search's ranks from the index too (one pipeline for every hit).
    from core.selectors.showcase.showcase import search_players

    (bob,) = search_players("bob")
    assert bob.season == {"reality": (200, 3), "cyber": (50, 1)}
