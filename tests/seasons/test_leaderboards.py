"""Seasonal leaderboards through the API: ranks, ties, pages, me, past seasons, leagues, months,
corrections, and the same answers from Redis, from the database, and with Redis gone."""

import pytest
from rest_framework.test import APIClient

from api import session_players
from api.v1.seasons.serializers import BoardRowSerializer, board_rows_document
from core.selectors.seasons import rank_keys
from core.selectors.seasons.leaderboard import Row
from core.services.seasons import rank_index
from core.services.xp import correct_entry
from core.tasks import repair_rank_index
from core.utils.dates import utc_now
from seasons.models import RankIndexRepair
from tests.round_trips import RoundTrips
from tests.seasons.helpers import at, award_at
from ultrabackend import redis as r
from users.tests.factories import PlayerFactory
from xp.models import UserProfile

BOARD = "/api/v1/seasons/reality/"
pytestmark = pytest.mark.django_db


def board(client, **params):
    response = client.get(BOARD, params)
    assert response.status_code == 200, response.content
    return response.json()


def names(body):
    return [(row["rank"], row["user"]["username"], row["xp"]) for row in body["results"]]


@pytest.fixture
def march():
    """Seven players in March 2026 with ties reached at different moments."""
    players = {name: PlayerFactory(username=name) for name in ["ann", "bob", "cat", "dan", "eve", "fay", "gus"]}
    award_at(players["bob"], 100, at("2026-03-02T10:00:00"))
    award_at(players["ann"], 60, at("2026-03-02T09:00:00"))
    award_at(players["ann"], 40, at("2026-03-03T10:00:00"))  # ann reaches 100 after bob
    award_at(players["dan"], 100, at("2026-03-04T10:00:00"))
    award_at(players["cat"], 50, at("2026-03-05T10:00:00"))
    award_at(players["eve"], 30, at("2026-03-06T10:00:00"))
    award_at(players["fay"], 30, at("2026-03-06T09:00:00"))
    award_at(players["gus"], 10, at("2026-03-07T10:00:00"))
    award_at(players["gus"], 5, at("2026-03-07T11:00:00"), mode="cyber")
    return players


def test_standard_competition_ranks_with_ties_ordered_by_who_reached_first(api_client, march):
    body = board(api_client, season="2026-03")
    assert body["season"] == "2026-03" and body["mode"] == "reality"
    assert names(body) == [
        (1, "bob", 100),
        (1, "ann", 100),
        (1, "dan", 100),
        (4, "cat", 50),
        (5, "fay", 30),
        (5, "eve", 30),
        (7, "gus", 10),
    ]
    row = body["results"][0]
    assert set(row) >= {"rank", "user", "xp", "level", "layer", "league"}
    assert set(row["user"]) >= {"id", "username", "display_name", "avatar_url"}
    assert row["layer"] == "RL0" and row["league"] == "bronze" and row["level"] == 1
    assert body["me"] is None and body["next"] is None


def test_pages_continue_ranks_across_a_tie_that_spans_pages(api_client, march):
    first = board(api_client, season="2026-03", page_size=2)
    assert names(first) == [(1, "bob", 100), (1, "ann", 100)]
    second = api_client.get(first["next"]).json()
    assert names(second) == [(1, "dan", 100), (4, "cat", 50)]
    third = api_client.get(second["next"]).json()
    assert names(third) == [(5, "fay", 30), (5, "eve", 30)]
    last = api_client.get(third["next"]).json()
    assert names(last) == [(7, "gus", 10)] and last["next"] is None and last["previous"]
    past = api_client.get(BOARD, {"season": "2026-03", "page": 9})
    assert past.status_code == 404 and past.json()["code"] == "page_not_found"


def test_me_is_shown_even_when_outside_the_page_with_the_rows_around(march):
    client = APIClient()
    client.force_login(march["eve"])
    body = board(client, season="2026-03", page_size=2)
    assert body["me"]["rank"] == 5 and body["me"]["xp"] == 30 and body["me"]["league"] == "bronze"
    assert [(r["rank"], r["user"]["username"]) for r in body["me"]["around"]] == [
        (4, "cat"),
        (5, "fay"),
        (5, "eve"),
        (7, "gus"),
    ]
    top = APIClient()
    top.force_login(march["bob"])
    assert [r["user"]["username"] for r in board(top, season="2026-03")["me"]["around"]] == ["bob", "ann", "dan"]


def test_me_is_null_for_a_player_without_xp_in_that_mode(march):
    client = APIClient()
    client.force_login(PlayerFactory(username="newbie"))
    assert board(client, season="2026-03")["me"] is None


def test_past_seasons_stay_browsable_and_separate(api_client, march):
    award_at(march["gus"], 500, at("2026-04-10T00:00:00"))
    assert names(board(api_client, season="2026-04")) == [(1, "gus", 500)]
    assert names(board(api_client, season="2026-03"))[-1] == (7, "gus", 10)
    seasons = api_client.get("/api/v1/seasons/").json()["results"]
    ids = [s["id"] for s in seasons]
    assert {"2026-03", "2026-04"} <= set(ids) and ids == sorted(ids, reverse=True)
    assert set(seasons[0]) >= {"id", "starts_at", "ends_at", "status"}


def test_current_season_is_the_default_and_exists_without_anyone_creating_it(api_client):
    body = board(api_client)
    assert body["results"] == [] and len(body["season"]) == 7


def test_league_filter_ranks_players_among_their_peers(api_client):
    gold = [PlayerFactory(username=f"gold{i}") for i in range(3)]
    UserProfile.objects.filter(user__in=gold).update(reality_league="gold")
    bronze = PlayerFactory(username="bronze0")
    award_at(bronze, 1000, at("2026-05-01T00:00:00"))
    for i, user in enumerate(gold):
        award_at(user, 100 - i, at("2026-05-02T00:00:00"))
    body = board(api_client, season="2026-05", league="gold")
    assert names(body) == [(1, "gold0", 100), (2, "gold1", 99), (3, "gold2", 98)]
    assert {row["league"] for row in body["results"]} == {"gold"}
    assert names(board(api_client, season="2026-05", league="bronze")) == [(1, "bronze0", 1000)]
    assert board(api_client, season="2026-05", league="ultra")["results"] == []


def test_month_boundary_last_microsecond_and_first_moment_of_next_month(api_client):
    late, early = PlayerFactory(username="late"), PlayerFactory(username="early")
    award_at(late, 70, at("2026-06-30T23:59:59.999999"))
    award_at(early, 80, at("2026-07-01T00:00:00"))
    assert names(board(api_client, season="2026-06")) == [(1, "late", 70)]
    assert names(board(api_client, season="2026-07")) == [(1, "early", 80)]


def test_a_correction_lowers_the_score_and_the_rank(api_client, march):
    entry = award_at(march["gus"], 200, at("2026-03-08T00:00:00")).entry
    assert names(board(api_client, season="2026-03"))[0] == (1, "gus", 210)
    correct_entry(entry=entry, reason="duplicate log", corrected_by=None)
    assert names(board(api_client, season="2026-03"))[-1] == (7, "gus", 10)


def test_a_correction_to_zero_takes_the_player_off_the_board(api_client):
    solo = PlayerFactory(username="solo")
    entry = award_at(solo, 40, at("2026-08-01T00:00:00")).entry
    correct_entry(entry=entry, reason="test entry", corrected_by=None)
    assert board(api_client, season="2026-08")["results"] == []


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"season": "2026-13"}, 400, "invalid_season"),
        ({"season": "march"}, 400, "invalid_season"),
        ({"season": "1999-01"}, 404, "unknown_season"),
        ({"league": "wood"}, 400, "unknown_league"),
        ({"page": "0"}, 400, "invalid_page"),
        ({"page": "-1"}, 400, "invalid_page"),
        ({"page": "x"}, 400, "invalid_page"),
        ({"page_size": "0"}, 400, "invalid_page"),
        ({"page": "99999999999999"}, 400, "invalid_page"),
    ],
)
def test_bad_board_parameters_are_4xx_with_a_code(api_client, params, status, code):
    response = api_client.get(BOARD, params)
    assert response.status_code == status and response.json()["code"] == code


def test_cyber_board_is_separate(api_client, march):
    response = api_client.get("/api/v1/seasons/cyber/", {"season": "2026-03"}).json()
    assert names(response) == [(1, "gus", 5)] and response["mode"] == "cyber"


# --- the Redis index ----------------------------------------------------------------------------


def all_answers(march):
    """Every board view the tests look at, as a signed-in player and anonymously."""
    client = APIClient()
    client.force_login(march["eve"])
    views = []
    for params in [
        {},
        {"page_size": 2},
        {"page_size": 2, "page": 2},
        {"page_size": 3, "page": 3},
        {"league": "bronze"},
        {"league": "gold"},
    ]:
        views.append(board(client, season="2026-03", **params))
        views.append(board(APIClient(), season="2026-03", **params))
    for view in views:
        for key in ("next", "previous"):
            view.pop(key)
    return views


@pytest.mark.django_db(transaction=True)
def test_redis_database_and_redis_gone_give_the_same_answers(redis_server, settings, march):
    goldie = PlayerFactory(username="goldie")  # a row whose league the index must carry too
    UserProfile.objects.filter(user=goldie).update(reality_league="gold")
    award_at(goldie, 70, at("2026-03-08T10:00:00"))
    with_redis = all_answers(march)
    assert {row["league"] for row in with_redis[0]["results"]} == {"bronze", "gold"}
    assert redis_server.exists(rank_keys.ready_key("2026-03", "reality"))  # trusted from the season's first write
    settings.REDIS_URL = ""
    without_redis = all_answers(march)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # a dead port: Redis gone mid-run
    gone = all_answers(march)
    assert with_redis == without_redis == gone
    health = APIClient().get("/api/v1/health/").json()
    assert health["redis"] == "degraded" and health["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_writes_while_redis_is_gone_are_repaired_when_it_is_back(redis_server, settings, march):
    all_answers(march)  # index built
    real = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    award_at(march["gus"], 1000, at("2026-03-09T00:00:00"))  # the index misses this write
    assert RankIndexRepair.objects.filter(season_id="2026-03", mode="reality").exists()
    settings.REDIS_URL = real
    assert names(board(APIClient(), season="2026-03"))[0] == (1, "gus", 1010)  # from the database
    assert RankIndexRepair.objects.exists()  # reading repairs nothing: GET writes nothing
    repair_rank_index(timestamp=0)  # the every-minute job
    assert not RankIndexRepair.objects.exists()
    assert rank_index.check_board("2026-03", "reality") == []
    assert names(board(APIClient(), season="2026-03"))[0] == (1, "gus", 1010)


@pytest.mark.django_db(transaction=True)
def test_index_survives_redis_losing_everything(redis_server, settings, march):
    before = all_answers(march)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    redis_server.delete(*redis_server.keys(f"{prefix}:*"))  # only this test run's keys
    assert all_answers(march) == before  # served by the database: the board is not ready
    assert not redis_server.exists(rank_keys.ready_key("2026-03", "reality"))
    assert repair_rank_index(timestamp=0) >= 2  # the every-minute job rebuilds both modes
    assert redis_server.exists(rank_keys.ready_key("2026-03", "reality"))
    assert rank_index.check_board("2026-03", "reality") == []
    assert all_answers(march) == before  # and Redis serves the same answers again


@pytest.mark.django_db(transaction=True)
def test_out_of_order_index_writes_keep_the_newest_score(redis_server, march):
    all_answers(march)
    states = {}
    for xp in (5, 25):
        award = award_at(march["gus"], xp, at("2026-03-10T00:00:00"))
        states[xp] = award.score
    rank_index.index_scores([states[5]])  # a late, older write arrives last
    assert (5, "gus", 40) in names(board(APIClient(), season="2026-03"))
    assert rank_index.check_board("2026-03", "reality") == []


@pytest.mark.django_db(transaction=True)
def test_leaderboard_queries_do_not_grow_with_the_page(redis_server, settings, django_assert_max_num_queries):
    players = [PlayerFactory(username=f"p{i:02d}") for i in range(60)]
    for i, user in enumerate(players):
        award_at(user, 10 + i % 7, at("2026-09-01T00:00:00"))
    client = APIClient()
    client.force_login(players[30])
    board(client, season="2026-09")  # builds the index
    for redis_url in (settings.REDIS_URL, ""):
        settings.REDIS_URL = redis_url
        for size in (5, 50):
            with django_assert_max_num_queries(9 if not redis_url else 5):
                assert len(board(client, season="2026-09", page_size=size)["results"]) == size


@pytest.mark.django_db(transaction=True)
def test_rebuild_and_check_commands(redis_server, march):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("rebuild_leaderboards", "--no-progress", stdout=out)
    assert "2026-03 reality: 7 scores indexed" in out.getvalue()
    out = StringIO()
    call_command("check_leaderboards", "--no-progress", stdout=out)
    assert "in step" in out.getvalue()
    redis_server.zadd(rank_keys.board_key("2026-03", "reality"), {"00000000000000000000000001": 5})
    redis_server.zadd(rank_keys.board_key("2026-03", "reality", "bronze"), {"00000000000000000000000002": 7})
    with pytest.raises(SystemExit):
        call_command("check_leaderboards", "--no-progress", stdout=StringIO())
    # A board that exists but is stale: --missing leaves it, repair_leaderboards fixes it.
    call_command("rebuild_leaderboards", "--missing", "--no-progress", stdout=StringIO())
    with pytest.raises(SystemExit):
        call_command("check_leaderboards", "--no-progress", stdout=StringIO())
    out = StringIO()
    call_command("repair_leaderboards", stdout=out)
    assert "2026-03 reality: 2 difference(s), rebuilt" in out.getvalue()
    assert "in step" in out.getvalue()
    call_command("check_leaderboards", "--no-progress", stdout=StringIO())  # no SystemExit
    assert r.get_redis() is not None


@pytest.mark.django_db(transaction=True)
def test_everything_keeps_answering_when_redis_dies_mid_run(redis_server, settings, march):
    """Sessions, throttles, the rank index and health all lose Redis at once: no 5xx, same ranks."""
    client = APIClient()
    client.force_login(march["cat"])
    before = board(client, season="2026-03")
    dead = "redis://127.0.0.1:1/0"
    settings.REDIS_URL = dead
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": dead}}
    assert board(client, season="2026-03") == before
    added = client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 3}, format="json")
    assert added.status_code == 201 and added.json()["profile"]["season"]["reality"]["xp"] == 30
    assert client.get("/api/v1/user/profile/").status_code == 200
    assert APIClient().get("/api/v1/health/").json()["redis"] == "degraded"


@pytest.mark.django_db(transaction=True)
def test_a_new_season_is_served_from_redis_from_its_first_write(redis_server):
    first = PlayerFactory(username="first")
    award_at(first, 10, at("2026-10-01T00:00:00"))  # makes the season: its boards start complete
    assert redis_server.exists(rank_keys.ready_key("2026-10", "reality"))
    assert redis_server.exists(rank_keys.ready_key("2026-10", "cyber"))
    award_at(PlayerFactory(username="second"), 20, at("2026-10-02T00:00:00"))
    assert names(board(APIClient(), season="2026-10")) == [(1, "second", 20), (2, "first", 10)]
    assert rank_index.check_board("2026-10", "reality") == []


@pytest.mark.django_db(transaction=True)
def test_a_write_that_finds_a_lost_index_write_stops_trusting_the_board(redis_server, settings, march):
    all_answers(march)
    real = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    award_at(march["gus"], 1000, at("2026-03-09T00:00:00"))  # lost by the index
    settings.REDIS_URL = real
    award_at(march["fay"], 1, at("2026-03-09T01:00:00"))  # sees the pending repair
    assert not redis_server.exists(rank_keys.ready_key("2026-03", "reality"))
    assert names(board(APIClient(), season="2026-03"))[0] == (1, "gus", 1010)  # served by the database
    assert not redis_server.exists(rank_keys.ready_key("2026-03", "reality"))
    repair_rank_index(timestamp=0)
    assert redis_server.exists(rank_keys.ready_key("2026-03", "reality"))
    assert rank_index.check_board("2026-03", "reality") == []


@pytest.mark.django_db(transaction=True)
def test_ties_one_microsecond_apart_are_ordered_the_same_by_redis_and_the_database(redis_server):
    from datetime import timedelta

    from core.selectors.seasons import leaderboard as lb
    from core.utils.dates import month_bounds

    start, _ = month_bounds("2026-11")
    moment = start + timedelta(microseconds=2167780273270)  # a value a float round trip gets wrong
    later, earlier = PlayerFactory(username="later"), PlayerFactory(username="earlier")  # later has the lower id
    award_at(later, 100, moment)
    award_at(earlier, 100, moment - timedelta(microseconds=1))
    database = lb._from_database("2026-11", "reality", None, 0, 10, None)
    redis = lb._from_redis("2026-11", "reality", None, 0, 10, None)
    assert [row.user_id for row in database.rows] == [earlier.pk, later.pk]
    assert redis is not None and [row.user_id for row in redis.rows] == [earlier.pk, later.pk]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_signed_in_page_from_the_index_is_one_sql_statement_and_one_redis_round_trip(redis_server, monkeypatch):
    """Once this process verified the session: the page script, and one statement for the shown
    players that also checks the session still holds and whether the index waits for a repair.
    The first signed-in page in a process: the session from Redis and the user row, as on any
    signed-in request, then the page script and the players."""
    players = [PlayerFactory(username=f"p{i:02d}") for i in range(30)]
    for i, user in enumerate(players):
        award_at(user, 10 + i, utc_now())
    board(APIClient())  # warm: the script loaded
    session_players.forget_all()
    client = APIClient()
    client.force_login(players[3])
    trips = RoundTrips(monkeypatch)
    first = board(client)
    assert trips.sql == ["SELECT", "SELECT"] and trips.redis == 2
    for _ in range(2):
        trips.reset()
        body = board(client)
        assert body == first and body["me"]["rank"] == 27
        assert trips.sql == ["WITH"] and trips.redis == 1


def test_board_rows_are_written_as_their_serializer_writes_them():
    rows = [
        Row(
            rank=1,
            user_id=7,
            xp=120,
            league="gold",
            username="ann",
            display_name="Ann",
            avatar_url=None,
            level=3,
            layer="L1",
        ),
        Row(rank=1, user_id=9, xp=120, league="", username=None, display_name=None, avatar_url="https://x.test/a.png"),
    ]
    assert board_rows_document(rows) == BoardRowSerializer(many=True).to_representation(rows)


@pytest.mark.django_db(transaction=True)
def test_a_page_past_the_end_also_waits_for_the_repair(redis_server, settings, march):
    """Only the signed-in player's own rows are shown: their standing still comes from the
    database, not the stale index (an anonymous page past the end shows nothing stale)."""
    all_answers(march)  # index built
    real = settings.REDIS_URL
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    award_at(march["gus"], 1000, at("2026-03-09T00:00:00"))  # the index misses this write
    settings.REDIS_URL = real
    client = APIClient()
    client.force_login(march["gus"])
    past = client.get(BOARD, {"season": "2026-03", "page": 99})  # past the end: no empty page, no stale rows
    assert past.status_code == 404 and past.json()["code"] == "page_not_found"
    body = board(client, season="2026-03", page=2, page_size=5)
    assert body["me"]["rank"] == 1 and body["me"]["xp"] == 1010
