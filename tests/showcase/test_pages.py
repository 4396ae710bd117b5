"""The community pages over HTTP: boards with ranks, search, events, player pages with OpenGraph
tags, hidden players nowhere, the switch, and the query count of the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client

from core.utils.dates import utc_now
from layers.models import Event
from showcase.card import HEIGHT, WIDTH
from tests.showcase.conftest import give
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def html(path: str, **params: str) -> str:
    response = Client().get(path, params)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def board_rows(page: str, mode: str) -> list[tuple[int, str, int]]:
    table = page.split(f'id="board-{mode}-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<td class="num">(\d+)</td>\s*<td><a href="[^"]+">([^<]+)</a></td>.*?<td class="num">(\d+)</td>\s*</tr>',
        table,
        re.S,
    )
    return [(int(rank), name, int(xp)) for rank, name, xp in rows]


def test_community_page_shows_each_modes_board_with_ranks_and_without_hidden_players(community):
    page = html("/community/")
    assert "<h1>iGoUltra community</h1>" in page
    # cyd (250, hidden) keeps rank 2: bob after her is third.
    assert board_rows(page, "reality") == [(1, "Ada Lovelace", 300), (3, "Bob Runner", 200), (4, "Dee Walker", 100)]
    assert board_rows(page, "cyber") == [(1, "Bob Runner", 50)]
    assert "Cyd" not in page
    assert f'href="/community/players/{community["ada"].pk}/"' in page


def test_search_finds_players_by_the_start_of_their_name_but_not_hidden_ones(community):
    page = html("/community/", q="bo")
    results = page.split('id="search-results"', 1)[1].split("</div>", 1)[0]
    assert "Bob Runner" in results and "Ada" not in results
    assert re.search(
        r"Bob Runner</a></td>\s*<td class=\"num\">\d+</td>\s*<td class=\"num\">#3</td>\s*<td class=\"num\">#1</td>",
        results,
    )
    assert "Bob Runner" in html("/community/", q="BOB R")  # case does not matter
    assert "Bob Runner" in html("/community/", q="bob")  # username too
    hidden = html("/community/", q="cyd")
    assert "No player’s name starts with" in hidden and "Cyd Hidden" not in hidden
    assert "Type at least 2 characters" in html("/community/", q="b")
    assert "No player" in html("/community/", q="%_" + "x" * 200)  # LIKE wildcards are text; long input cut
    PlayerFactory(username="pct", display_name="50%_Runner")
    PlayerFactory(username="five", display_name="50 Fifty")
    wild = html("/community/", q="50%_").split('id="search-results"', 1)[1]
    assert "50%_Runner" in wild and "50 Fifty" not in wild


def test_search_lists_each_player_once_in_name_order_and_at_most_twenty(community):
    for i in range(25):
        PlayerFactory(username=f"walker{i:02d}", display_name=f"Walker {i:02d}")
    results = html("/community/", q="walk").split('id="search-results"', 1)[1].split("</table>", 1)[0]
    names = re.findall(r'<a href="/community/players/\d+/">([^<]+)</a>', results)
    assert len(names) == 20 and len(set(names)) == 20
    assert names == sorted(names, key=str.upper)
    assert "Dee Walker" not in names  # "walker" is inside her name, not at its start


def test_upcoming_events_are_listed_soonest_first(community):
    now = utc_now()
    Event.objects.create(
        name="Night Ultra",
        mode="reality",
        required_layer="RL1",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=3),
    )
    Event.objects.create(
        name="Cyber Dungeon",
        kind="dungeon",
        mode="cyber",
        required_layer="CL1",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=5),
    )
    Event.objects.create(
        name="Old Race",
        mode="reality",
        required_layer="RL1",
        starts_at=now - timedelta(days=3),
        ends_at=now - timedelta(days=2),
    )
    Event.objects.create(
        name="Secret Draft",
        mode="reality",
        required_layer="RL1",
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=2),
        is_published=False,
    )
    page = html("/community/")
    events = page.split('id="events-title"', 1)[1]
    assert events.index("Cyber Dungeon") < events.index("Night Ultra")
    assert "Old Race" not in page and "Secret Draft" not in page


def test_player_page_shows_cards_standing_and_opengraph_tags(community):
    ada = community["ada"]
    page = html(f"/community/players/{ada.pk}/")
    assert "<h1>Ada Lovelace</h1>" in page
    card = f"http://testserver/api/v1/users/{ada.pk}/card.png?mode=reality&amp;theme=dark"
    assert f'<meta property="og:image" content="{card}">' in page
    assert f'<meta property="og:image:width" content="{WIDTH}">' in page and f'content="{HEIGHT}"' in page
    assert '<meta property="og:title" content="Ada Lovelace · iGoUltra">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert f'<img class="card" id="card-reality" src="{card}"' in page
    assert "Rank 1 · 300 XP" in page
    assert "No closed season yet." in page


def test_hidden_unknown_and_huge_player_ids_are_404_pages(community):
    for user_id in (community["cyd"].pk, 987654321, 10**30):
        response = Client().get(f"/community/players/{user_id}/")
        assert response.status_code == 404
        assert "No such player" in response.content.decode()


def test_switched_off_pages_answer_404_and_cards_stay(community, settings):
    settings.COMMUNITY_PAGES_ENABLED = False
    assert Client().get("/community/").status_code == 404
    assert Client().get(f"/community/players/{community['ada'].pk}/").status_code == 404
    assert Client().get(f"/api/v1/users/{community['ada'].pk}/card.png").status_code == 200


def test_pages_are_cacheable_and_take_no_session(community):
    response = Client().get("/community/")
    assert response["Cache-Control"] == "public, max-age=30"
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert Client().post("/community/").status_code == 405


def test_empty_season_says_nobody_has_xp(db):
    page = html("/community/")
    assert "Nobody has reality XP this season yet." in page and "No events are planned right now." in page


def test_community_page_query_count_does_not_grow_with_players(community, django_assert_max_num_queries):
    for i in range(30):
        give(PlayerFactory(username=f"extra{i}", display_name=f"Extra {i}"), 10 + i)
    with django_assert_max_num_queries(8):
        page = html("/community/")
    assert len(board_rows(page, "reality")) == 33


def test_open_challenges_are_listed_with_their_players(community):
    from quests.models import Quest, QuestParticipation
    from xp.models import ActivityType

    now = utc_now()
    running = Quest.objects.create(
        kind="challenge",
        title="100 km in December",
        mode="reality",
        activity=ActivityType.objects.get(key="running"),
        target=100,
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=20),
        reward_xp=500,
    )
    QuestParticipation.objects.create(quest=running, user=PlayerFactory(), joined_at=now)
    Quest.objects.create(
        kind="challenge",
        title="Over already",
        mode="cyber",
        target=10,
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=1),
    )
    page = Client().get("/community/").content.decode()
    assert "100 km in December" in page and "1 joined" in page and "reward 500 XP" in page
    assert "Over already" not in page
