"""Player self-service: display name, past seasons, the all-time boards, the data export and
erasing the account."""

import pytest
from allauth.socialaccount.models import SocialAccount
from rest_framework.test import APIClient

from core.services.accounts import tokens
from core.services.seasons import closing, rank_index
from seasons.models import Season, SeasonResult, SeasonScore
from tests.seasons.helpers import at, award_at
from users.models import CustomUser, ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import UserProfile, XPEntry

pytestmark = pytest.mark.django_db
DISCORD_ID = "412345678901234567"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["Ada Lovelace", "Zoë", "数学者", "ab"])
def test_patch_profile_sets_the_display_name_shown_everywhere(player, name):
    client = signed_in(player)
    response = client.patch("/api/v1/user/profile/", {"display_name": name}, format="json")
    assert response.status_code == 200 and response.json()["display_name"] == name
    assert client.get("/api/v1/user/profile/").json()["display_name"] == name
    player.refresh_from_db()
    assert player.display_name_chosen


@pytest.mark.parametrize("name", ["", "a", " padded", "padded ", "new\nline", "x" * 33, "zero\u200bwidth", 42, ["x"]])
def test_patch_profile_refuses_a_bad_display_name_and_changes_nothing(player, name):
    client = signed_in(player)
    before = client.get("/api/v1/user/profile/").json()["display_name"]
    response = client.patch("/api/v1/user/profile/", {"display_name": name}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid_display_name", "not_a_string"}
    assert client.get("/api/v1/user/profile/").json()["display_name"] == before


def test_patch_profile_null_goes_back_to_the_discord_name_and_unknown_fields_are_refused(player):
    client = signed_in(player)
    client.patch("/api/v1/user/profile/", {"display_name": "Chosen"}, format="json")
    back = client.patch("/api/v1/user/profile/", {"display_name": None}, format="json")
    assert back.status_code == 200 and back.json()["display_name"] == player.username
    assert client.patch("/api/v1/user/profile/", {"xp": 10**9}, format="json").status_code == 400
    assert APIClient().patch("/api/v1/user/profile/", {"display_name": "Anon"}, format="json").status_code == 401


def test_a_discord_sign_in_keeps_a_chosen_display_name(player):
    from core.services.accounts.user_service import DiscordIdentity, sign_in_discord

    player.discord_id = DISCORD_ID
    player.save()
    signed_in(player).patch("/api/v1/user/profile/", {"display_name": "My Name"}, format="json")
    sign_in_discord(identity=DiscordIdentity(DISCORD_ID, "discordname", "Discord Global", ""))
    assert CustomUser.objects.get(pk=player.pk).display_name == "My Name"


def test_user_seasons_lists_closed_seasons_with_rank_and_league_movement():
    players = [PlayerFactory(username=f"s{i}") for i in range(10)]
    for i, user in enumerate(players):
        award_at(user, 100 - i, at("2026-01-10T00:00:00"))
    closing.close_season(Season.objects.get(id="2026-01"))
    top = signed_in(players[0]).get("/api/v1/user/seasons/")
    assert top.status_code == 200
    cohort = top.json()["results"][0]["cohort"]
    assert cohort is not None and (cohort["number"], cohort["league"]) == (1, "bronze")
    assert top.json()["results"] == [
        {
            "season": "2026-01",
            "mode": "reality",
            "rank": 1,
            "cohort_rank": 1,
            "cohort": cohort,
            "xp": 100,
            "league": "bronze",
            "new_league": "silver",
            "movement": "up",
            "closed_at": top.json()["results"][0]["closed_at"],
            # The top of the whole board and of the bronze league's board (issue 26).
            "trophies": [{"league": None, "rank": 1}, {"league": "bronze", "rank": 1}],
        }
    ]
    cyber = signed_in(players[0]).get("/api/v1/user/seasons/?mode=cyber").json()["results"]
    assert [(r["mode"], r["movement"]) for r in cyber] == []  # bronze players without cyber XP stay bronze
    assert signed_in(players[0]).get("/api/v1/user/seasons/?mode=moon").status_code == 400
    assert signed_in(PlayerFactory()).get("/api/v1/user/seasons/").json()["results"] == []


def test_all_time_board_ranks_lifetime_xp_with_ties_pages_and_me():
    xp = {"a": 50, "b": 30, "c": 30, "d": 10, "e": 0}
    users = {name: PlayerFactory(username=name) for name in xp}
    for name, amount in xp.items():
        if amount:
            award_at(users[name], amount, at("2026-01-10T00:00:00"))
            award_at(users[name], amount, at("2026-02-10T00:00:00"))  # lifetime: across seasons
    client = signed_in(users["c"])
    body = client.get("/api/v1/leaderboards/all-time/reality/?page_size=2").json()
    assert [(r["rank"], r["user"]["username"], r["xp"]) for r in body["results"]] == [(1, "a", 100), (2, "b", 60)]
    assert body["next"] and body["me"]["rank"] == 2 and body["me"]["xp"] == 60
    assert [r["user"]["username"] for r in body["me"]["around"]] == ["a", "b", "c", "d"]
    second = client.get("/api/v1/leaderboards/all-time/reality/?page_size=2&page=2").json()
    assert [(r["rank"], r["user"]["username"]) for r in second["results"]] == [(2, "c"), (4, "d")]
    assert second["next"] is None
    assert APIClient().get("/api/v1/leaderboards/all-time/cyber/").json()["results"] == []
    assert APIClient().get("/api/v1/leaderboards/all-time/reality/").json()["me"] is None
    assert APIClient().get("/api/v1/leaderboards/all-time/moon/").status_code == 404
    assert APIClient().get("/api/v1/leaderboards/all-time/reality/?page=0").json()["code"] == "invalid_page"


def test_export_holds_every_personal_datum(player):
    client = signed_in(player)
    client.post("/api/v1/xp/add/", {"activity": "pushups", "units": 7, "note": "morning set"}, format="json")
    response = client.get("/api/v1/user/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = response.json()
    assert data["account"]["username"] == player.username
    assert data["profile"]["xp"]["total"] == 70
    assert [(e["activity__key"], e["note"], e["xp"]) for e in data["xp_entries"]] == [("pushups", "morning set", 70)]
    assert data["season_scores"][0]["xp"] == 70
    assert APIClient().get("/api/v1/user/export/").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_erasure_of_a_bot_created_player_on_the_board_with_a_season_result(redis_server):
    _, key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    bot = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert (
        bot.post(
            "/api/v1/xp/add/", {"activity": "pushups", "units": 5, "discord_id": DISCORD_ID}, format="json"
        ).status_code
        == 201
    )
    user = CustomUser.objects.get(discord_id=DISCORD_ID)  # made by the service key
    rival, third = PlayerFactory(username="rival"), PlayerFactory(username="third")
    for who, amount in ((user, 90), (rival, 80), (third, 70)):
        award_at(who, amount, at("2026-01-10T00:00:00"))
    closing.close_season(Season.objects.get(id="2026-01"))
    results_before = list(SeasonResult.objects.order_by("user_id").values_list("user_id", "rank", "new_league"))
    signed_in(rival).post("/api/v1/xp/add/", {"activity": "pushups", "units": 1}, format="json")
    SocialAccount.objects.create(user=user, provider="discord", uid=DISCORD_ID, extra_data={"username": "carol"})
    client = signed_in(user)
    app = tokens.issue_pair(user)
    bearer = APIClient(HTTP_AUTHORIZATION=f"Bearer {app['access']}")
    board = APIClient().get("/api/v1/seasons/reality/").json()
    assert board["results"][0]["user"]["id"] == user.pk  # on the current board, first

    first = client.delete("/api/v1/user/")
    assert first.status_code == 409 and first.json()["code"] == "confirmation_required"
    assert CustomUser.objects.get(pk=user.pk).is_active  # nothing changed yet
    wrong = client.delete("/api/v1/user/", {"confirmation_token": "forged"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["code"] == "confirmation_invalid"
    other = signed_in(rival).delete("/api/v1/user/").json()["confirmation_token"]
    assert client.delete("/api/v1/user/", {"confirmation_token": other}, format="json").status_code == 400
    done = client.delete("/api/v1/user/", {"confirmation_token": first.json()["confirmation_token"]}, format="json")
    assert done.status_code == 204

    erased = CustomUser.objects.get(pk=user.pk)
    assert erased.username == f"erased-{user.pk}" and erased.discord_id is None and not erased.is_active
    assert erased.email == "" and erased.display_name == "" and not erased.has_usable_password()
    assert not SocialAccount.objects.filter(user=erased).exists()
    assert XPEntry.objects.filter(user=erased).count() == 2  # the ledger stays, pseudonymised
    assert list(SeasonResult.objects.order_by("user_id").values_list("user_id", "rank", "new_league")) == (
        results_before
    )  # closed seasons: nobody's final rank moved
    assert UserProfile.objects.get(user=erased).total_xp == 140  # totals still equal the ledger
    assert not SeasonScore.objects.filter(user=erased, season__status=Season.OPEN).exists()
    board = APIClient().get("/api/v1/seasons/reality/").json()
    assert [r["user"]["username"] for r in board["results"]] == ["rival"]  # off the current board
    assert rank_index.check_board(board["season"], "reality") == []  # Redis too
    all_time = APIClient().get("/api/v1/leaderboards/all-time/reality/").json()["results"]
    assert [(r["rank"], r["user"]["username"]) for r in all_time] == [(1, "rival"), (2, "third")]
    assert client.get("/api/v1/user/profile/").status_code == 401  # the session is gone
    assert bearer.get("/api/v1/user/profile/").status_code == 401  # and the app token
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": app["refresh"]}, format="json")
    assert refreshed.status_code == 401 and refreshed.json()["code"] == "token_revoked"
    # The bot can no longer reach the person under the old Discord id: a new account would be made.
    assert bot.get(f"/api/v1/users/discord/{DISCORD_ID}/profile/").status_code == 404
