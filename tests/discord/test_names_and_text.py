"""Names and text in Discord answers: user-supplied text is escaped (no Markdown, masked links or
mentions), display names are unique (case-insensitively after NFKC) and free of invisible
characters, bot-made accounts take the member's name, one Linked Roles push per change under
races, and numbers in the reader's language."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from community import embeds
from community.models import DiscordLink
from core.services.discord import linked_roles
from core.services.xp import award_xp
from tests.auth.conftest import CLIENT_ID
from tests.discord.conftest import command, discord_user
from tests.discord.test_linked_roles import link_through_discord
from tests.jobs import run_pending_jobs
from users.models import CustomUser, ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import ActivityType

ALICE = "111111111111111111"
BOB = "222222222222222222"
MEMBER = "800000000000000009"
ROLE_PATH = f"/api/users/@me/applications/{CLIENT_ID}/role-connection"
MARKDOWN_NAME = "**#1** [Ken](https://x.y)"


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def bot_client() -> APIClient:
    _, key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write", "profile:read"])
    return APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")


def embed_of(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()["data"]["embeds"][0]


# --- escaping ---------------------------------------------------------------------------------


def test_escape_shows_markdown_links_and_mentions_as_typed():
    assert embeds.escape(MARKDOWN_NAME) == r"\*\*\#1\*\* \[Ken\]\(https\://x.y\)"
    assert embeds.escape("@everyone <@123> `x` ||s|| ~~a~~ _i_ > q") == (
        r"\@everyone \<\@123\> \`x\` \|\|s\|\| \~\~a\~\~ \_i\_ \> q"
    )
    assert embeds.escape("Zoë 数学者") == "Zoë 数学者"
    announced = embeds.level_up_announcement("@everyone **x**", {"to": 5})
    assert announced["description"] == r"**\@everyone \*\*x\*\*** reached level **5**."


@pytest.mark.django_db(transaction=True)
def test_a_markdown_display_name_is_shown_literally_in_every_discord_answer(interactions, redis_server, discord):
    player = PlayerFactory(discord_id=ALICE)
    assert (
        signed_in(player).patch("/api/v1/user/profile/", {"display_name": MARKDOWN_NAME}, format="json").status_code
        == 200
    )
    running = ActivityType.objects.get(key="running")
    award_xp(user=player, activity=running, units=Decimal(2), source="admin")
    escaped = r"\*\*\#1\*\* \[Ken\]\(https\://x.y\)"

    board = embed_of(interactions.post(command("leaderboard", user=discord_user(ALICE))))
    assert board["description"].startswith(f"**#1** {escaped} — 600 XP")
    assert "[Ken](" not in board["description"]
    assert embed_of(interactions.post(command("profile", user=discord_user(ALICE))))["title"] == escaped
    assert embed_of(interactions.post(command("rank", user=discord_user(ALICE))))["title"].startswith(escaped)
    logged = embed_of(
        interactions.post(
            command(
                "log",
                [
                    {"name": "activity", "value": "pushups"},
                    {"name": "units", "value": 1},
                    {"name": "note", "value": "@everyone # big [win](https://evil.example)"},
                ],
                user=discord_user(ALICE),
            )
        )
    )
    assert logged["description"].endswith(r"> \@everyone \# big \[win\]\(https\://evil.example\)")
    unknown = embed_of(
        interactions.post(
            command(
                "log", [{"name": "activity", "value": "**x**"}, {"name": "units", "value": 1}], user=discord_user(ALICE)
            )
        )
    )
    assert r"\*\*x\*\*" in unknown["description"]


# --- unique, visible names --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("twin", ["Ken", "ken", "KEN", "Ｋｅｎ", "ｋen"])
def test_a_name_another_player_is_shown_under_is_refused_with_409(twin):
    ken, other = PlayerFactory(), PlayerFactory()
    assert signed_in(ken).patch("/api/v1/user/profile/", {"display_name": "Ken"}, format="json").status_code == 200
    refused = signed_in(other).patch("/api/v1/user/profile/", {"display_name": twin}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "display_name_taken"
    other.refresh_from_db()
    assert other.display_name != twin and not other.display_name_chosen
    # The player's own name in another case is theirs to take.
    assert signed_in(ken).patch("/api/v1/user/profile/", {"display_name": twin}, format="json").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["Ken\u3164", "\u115fKen", "Ke\u2800n", "Ken\u202e", "K\u00a0en", "Ke\tn", "Ken\u034f", "\u200dKen"]
)
def test_invisible_and_control_characters_are_refused_in_names(player, name):
    refused = signed_in(player).patch("/api/v1/user/profile/", {"display_name": name}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_display_name"


@pytest.mark.django_db(transaction=True)
def test_two_players_racing_for_one_name_get_one_200_and_one_409():
    players = [PlayerFactory(), PlayerFactory()]
    barrier = threading.Barrier(2)
    answers: list[int] = []

    def claim(user):
        try:
            client = signed_in(user)
            barrier.wait()
            answers.append(client.patch("/api/v1/user/profile/", {"display_name": "Twin"}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(p,)) for p in players]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 409]
    assert CustomUser.objects.filter(display_name="Twin").count() == 1


@pytest.mark.django_db
def test_a_discord_name_someone_is_shown_under_gets_a_suffix():
    from core.services.accounts.user_service import DiscordIdentity, sign_in_discord

    signed_in(PlayerFactory()).patch("/api/v1/user/profile/", {"display_name": "Ken"}, format="json")
    user = sign_in_discord(
        identity=DiscordIdentity(discord_id=BOB, username="kenny", display_name="KEN", avatar_url="")
    )
    assert user.display_name == "KEN #2222"
    again = sign_in_discord(
        identity=DiscordIdentity(discord_id="333333333333333333", username="k3", display_name="Ken", avatar_url="")
    )
    assert again.display_name == "Ken #3333"


# --- accounts made by a service key ---------------------------------------------------------


@pytest.mark.django_db
def test_the_bot_names_the_account_it_makes_and_the_player_renames_it_later():
    bot = bot_client()
    added = bot.post(
        "/api/v1/xp/add/",
        {"activity": "pushups", "units": 5, "discord_id": MEMBER, "display_name": "Carol"},
        format="json",
    )
    assert added.status_code == 201 and added.json()["profile"]["display_name"] == "Carol"
    board = APIClient().get("/api/v1/seasons/reality/").json()["results"]
    assert [row["user"]["display_name"] for row in board] == ["Carol"]
    user = CustomUser.objects.get(discord_id=MEMBER)
    assert signed_in(user).patch("/api/v1/user/profile/", {"display_name": "Caro"}, format="json").status_code == 200
    bot.post(
        "/api/v1/xp/add/",
        {"activity": "pushups", "units": 1, "discord_id": MEMBER, "display_name": "Carol"},
        format="json",
    )
    assert CustomUser.objects.get(pk=user.pk).display_name == "Caro"  # the player's choice stays
    # A second member called Carol is shown with a suffix; a name without one stays unnamed.
    other = bot.post(
        "/api/v1/xp/add/",
        {"activity": "pushups", "units": 1, "discord_id": "800000000000000010", "display_name": "Caro"},
        format="json",
    )
    assert other.json()["profile"]["display_name"] == "Caro #0010"


@pytest.mark.django_db
def test_a_player_cannot_send_a_display_name_with_xp(player_client):
    refused = player_client.post(
        "/api/v1/xp/add/", {"activity": "pushups", "units": 5, "display_name": "Boss"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "display_name_not_allowed"


@pytest.mark.django_db(transaction=True)
def test_a_slash_command_names_a_new_account_after_the_member_without_invisible_characters(interactions):
    interactions.post(
        command(
            "log",
            [{"name": "activity", "value": "pushups"}, {"name": "units", "value": 1}],
            user=discord_user(ALICE, "Al\u200bice\u3164"),
        )
    )
    assert CustomUser.objects.get(discord_id=ALICE).display_name == "Alice"


# --- one Linked Roles push per change -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_racing_pushes_of_the_same_role_connection_send_it_once(discord):
    discord.add_user(ALICE, "alice", global_name="Alice")
    discord.current_user = ALICE
    link_through_discord(discord)
    run_pending_jobs()
    assert len(discord.requests_to("PUT", ROLE_PATH)) == 1
    user = CustomUser.objects.get(discord_id=ALICE)
    award_xp(user=user, activity=ActivityType.objects.get(key="running"), units=Decimal(5), source="admin")
    discord.slow[ROLE_PATH] = 0.5  # both jobs are past their first read before Discord answers
    barrier = threading.Barrier(2)
    sent: list[bool] = []

    def push():
        try:
            barrier.wait()
            sent.append(linked_roles.push_role_connection(user_id=user.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == [False, True]
    assert len(discord.requests_to("PUT", ROLE_PATH)) == 2  # the link's push and one for the change
    assert DiscordLink.objects.get(user=user).pushed_metadata["level"] == 6


# --- numbers in the reader's language -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_german_answers_write_german_numbers(interactions):
    too_many = command(
        "log", [{"name": "activity", "value": "pushups"}, {"name": "units", "value": 1001}], user=discord_user(ALICE)
    )
    too_many["locale"] = "de"
    assert "höchstens 1.000)" in embed_of(interactions.post(too_many))["description"]
    english = command(
        "log", [{"name": "activity", "value": "pushups"}, {"name": "units", "value": 1001}], user=discord_user(ALICE)
    )
    assert "at most 1,000)" in embed_of(interactions.post(english))["description"]
    german = command(
        "log", [{"name": "activity", "value": "running"}, {"name": "units", "value": 5.25}], user=discord_user(ALICE)
    )
    german["locale"] = "de"
    answer = embed_of(interactions.post(german))
    assert answer["title"] == "+1.575 XP · Running" and answer["description"].startswith("5,25 km")
