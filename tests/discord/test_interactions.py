"""The signed interactions endpoint: signatures, PING, every command, autocomplete, buttons."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from community.models import GuildMember
from core.services.xp import award_xp
from core.utils.dates import season_id_for, utc_now
from layers.models import Event
from tests.discord.conftest import GUILD_ID, button, command, discord_user
from tests.jobs import run_pending_jobs
from users.models import CustomUser, ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, XPEntry

pytestmark = pytest.mark.django_db

ALICE = "111111111111111111"
BOB = "222222222222222222"


def log(units, activity="running", note=None, **kwargs):
    options = [{"name": "activity", "type": 3, "value": activity}, {"name": "units", "type": 10, "value": units}]
    if note:
        options.append({"name": "note", "type": 3, "value": note})
    return command("log", options, **kwargs)


def profile_via_api(discord_id):
    _, raw = ServiceAPIKey.objects.create_key(name="reader", scopes=["profile:read"])
    client = APIClient()
    return client.get(f"/api/v1/users/discord/{discord_id}/profile/", HTTP_AUTHORIZATION=f"Api-Key {raw}")


def embed(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]["embeds"][0]


# --- signatures -------------------------------------------------------------------------------


def test_ping_is_answered_with_pong(interactions):
    response = interactions.post({"type": 1, "id": "1", "application_id": "1", "token": "t", "version": 1})
    assert response.status_code == 200
    assert response.json() == {"type": 1}


@pytest.mark.parametrize(
    "signature",
    ["", "00" * 64, "zz" * 64, "abc"],
    ids=["missing", "wrong", "not-hex", "odd-length"],
)
def test_bad_signature_is_refused_and_changes_nothing(interactions, signature):
    payload = log(5, user=discord_user(ALICE))
    response = interactions.post(payload, signature=signature)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()
    assert not XPEntry.objects.exists()


def test_signature_over_another_body_is_refused(interactions):
    payload = log(5, user=discord_user(ALICE))
    signed = json.dumps(payload).encode()
    stamp = "1700000000"
    sig = interactions.key.sign(stamp.encode() + signed).signature.hex()
    tampered = signed.replace(b'"value": 5}', b'"value": 50}')
    assert tampered != signed
    response = interactions.post(None, raw=tampered, signature=sig, timestamp=stamp)
    assert response.status_code == 401
    assert not XPEntry.objects.exists()


def test_signature_with_another_timestamp_is_refused(interactions):
    payload = {"type": 1}
    body = json.dumps(payload).encode()
    sig = interactions.key.sign(b"1700000000" + body).signature.hex()
    assert interactions.post(None, raw=body, signature=sig, timestamp="1700000001").status_code == 401


@pytest.mark.parametrize("key", ["", "not-hex", "abcd"])
def test_without_a_usable_public_key_every_interaction_is_refused(interactions, settings, key):
    settings.DISCORD_PUBLIC_KEY = key
    response = interactions.post({"type": 1})
    assert response.status_code == 503
    assert response.json()["code"] == "feature_not_configured"
    assert response.json()["feature"] == "discord_interactions"


def test_signed_garbage_is_a_400_not_a_500(interactions):
    for raw in [b"not json", b"[1, 2]", b'{"type": "x"}', b'{"type": 2}', b'{"type": 2, "data": {"name": "log"}}']:
        response = interactions.post(None, raw=raw)
        assert response.status_code == 400, raw
        assert response.json()["code"] == "invalid_interaction"


def test_get_is_not_allowed(api_client):
    assert api_client.get("/api/v1/discord/interactions/").status_code == 405


# --- /log ------------------------------------------------------------------------------------


def test_log_creates_the_account_and_awards_xp_visible_through_the_api(interactions):
    response = interactions.post(log(5.3, note="morning loop", user=discord_user(ALICE, "Alice")))
    answer = embed(response)
    assert response.json()["type"] == 4
    assert answer["title"] == "+1,590 XP · Running"
    assert "5.3 km" in answer["description"]
    fields = {f["name"]: f["value"] for f in answer["fields"]}
    assert fields["Total XP"] == "1,590"
    assert fields["Level up!"] == "1 → 6"
    assert "flags" not in response.json()["data"]

    user = CustomUser.objects.get(discord_id=ALICE)
    assert user.display_name == "Alice"
    entry = XPEntry.objects.get(user=user)
    assert (entry.source, entry.units, entry.xp, entry.note) == ("discord", Decimal("5.3"), 1590, "morning loop")
    assert GuildMember.objects.filter(guild_id=GUILD_ID, user=user).exists()
    profile = profile_via_api(ALICE)
    assert profile.status_code == 200
    assert profile.json()["xp"]["total"] == 1590


def test_replayed_interaction_is_counted_once(interactions):
    payload = log(2, user=discord_user(ALICE))
    first = interactions.post(payload)
    second = interactions.post(payload)
    assert embed(first)["title"] == embed(second)["title"] == "+600 XP · Running"
    assert "Already logged" in embed(second)["footer"]["text"]
    assert profile_via_api(ALICE).json()["xp"]["total"] == 600
    assert XPEntry.objects.filter(user__discord_id=ALICE).count() == 1
    # A new interaction (a new id) is a new log.
    interactions.post(log(2, user=discord_user(ALICE)))
    assert profile_via_api(ALICE).json()["xp"]["total"] == 1200


def test_log_in_a_dm_uses_the_user_field(interactions):
    response = interactions.post(log(1, user=discord_user(BOB), guild_id=None))
    assert embed(response)["title"] == "+300 XP · Running"
    assert XPEntry.objects.get().user.discord_id == BOB
    assert not GuildMember.objects.exists()


def test_log_answers_a_layer_up(interactions):
    response = interactions.post(log(4, user=discord_user(ALICE)))  # 1,200 XP: reality layer 1 starts at 1,118
    fields = {f["name"]: f["value"] for f in embed(response)["fields"]}
    assert fields["New reality layer!"] == "RL0 Base → RL1 Emotion"


def test_log_keeps_an_existing_account_name(interactions):
    PlayerFactory(discord_id=ALICE, display_name="Signed-in name")
    interactions.post(log(1, user=discord_user(ALICE, "Discord name")))
    assert CustomUser.objects.get(discord_id=ALICE).display_name == "Signed-in name"


@pytest.mark.parametrize(
    ("activity", "units", "words"),
    [
        ("dancing", 5, "I don't know the activity “dancing”"),
        ("running", 0, "Units must be more than zero"),
        ("running", -3, "Units must be more than zero"),
        ("running", 101, "more than one entry allows (at most 100"),
        ("running", 5.123, "at most two decimals"),
        ("running", "five", "Units must be a number"),
        ("running", True, "Units must be a number"),
        ("running", 1e300, "far more than one entry allows"),
    ],
)
def test_log_refusals_are_ephemeral_in_plain_words_and_change_nothing(interactions, activity, units, words):
    response = interactions.post(log(units, activity=activity, user=discord_user(ALICE)))
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == 4
    assert body["data"]["flags"] == 64
    assert words in body["data"]["embeds"][0]["description"]
    assert not XPEntry.objects.exists()
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()  # a refused first log makes no account


def test_log_over_the_daily_cap_is_refused(interactions):
    ActivityType.objects.filter(key="running").update(review_above=None)  # the cap, not a review
    interactions.post(log(100, user=discord_user(ALICE)))
    response = interactions.post(log(60, user=discord_user(ALICE)))
    assert response.json()["data"]["flags"] == 64
    assert "today's limit" in embed(response)["description"]
    assert XPEntry.objects.count() == 1


def test_log_for_a_disabled_account_is_refused(interactions):
    PlayerFactory(discord_id=ALICE, is_active=False)
    response = interactions.post(log(1, user=discord_user(ALICE)))
    assert "disabled" in embed(response)["description"]
    assert not XPEntry.objects.exists()


def test_inactive_activity_is_refused(interactions):
    ActivityType.objects.filter(key="running").update(is_active=False)
    response = interactions.post(log(1, user=discord_user(ALICE)))
    assert "cannot be logged" in embed(response)["description"]


def test_unknown_command_is_ephemeral(interactions):
    response = interactions.post(command("dance", user=discord_user(ALICE)))
    assert response.json()["data"]["flags"] == 64


# --- /profile, /rank -------------------------------------------------------------------------


def test_profile_of_the_invoking_member(interactions):
    interactions.post(log(2, user=discord_user(ALICE, "Alice")))
    response = interactions.post(command("profile", user=discord_user(ALICE, "Alice")))
    answer = embed(response)
    assert answer["title"] == "Alice"
    fields = {f["name"]: f["value"] for f in answer["fields"]}
    assert fields["Level"].startswith("**3**")
    assert fields["XP"].startswith("600 (reality 600")
    assert "rank #1" in fields["Reality"]
    assert "Bronze league" in fields["Reality"]


def test_profile_of_another_member(interactions):
    interactions.post(log(1, user=discord_user(BOB, "Bob")))
    options = [{"name": "member", "type": 6, "value": BOB}]
    response = interactions.post(
        command("profile", options, user=discord_user(ALICE), resolved={"users": {BOB: discord_user(BOB, "Bob")}})
    )
    assert embed(response)["title"] == "Bob"
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()  # reading creates no account


def test_profile_without_an_account_says_how_to_start(interactions):
    response = interactions.post(command("profile", user=discord_user(ALICE)))
    assert response.json()["data"]["flags"] == 64
    assert "/log" in embed(response)["description"]
    options = [{"name": "member", "type": 6, "value": BOB}]
    response = interactions.post(
        command("profile", options, user=discord_user(ALICE), resolved={"users": {BOB: discord_user(BOB, "Bob")}})
    )
    assert "Bob has no iGoUltra profile yet" in embed(response)["description"]
    assert not CustomUser.objects.exists()


def test_rank_per_mode(interactions):
    interactions.post(log(1, user=discord_user(BOB)))
    interactions.post(log(2, user=discord_user(ALICE, "Alice")))
    answer = embed(interactions.post(command("rank", user=discord_user(ALICE))))
    assert "**Reality**: #1 · 600 XP" in answer["description"]
    assert "**Cyber**: not on the board yet" in answer["description"]
    bob = embed(interactions.post(command("rank", [{"name": "mode", "value": "reality"}], user=discord_user(BOB))))
    assert bob["description"].startswith("**Reality**: #2 · 300 XP")
    assert "Cyber" not in bob["description"]
    refused = interactions.post(command("rank", [{"name": "mode", "value": "astral"}], user=discord_user(BOB)))
    assert refused.json()["data"]["flags"] == 64


def test_league_shows_the_cohort_with_its_zones(interactions):
    interactions.post(log(1, user=discord_user(BOB, "Bob")))
    interactions.post(log(2, user=discord_user(ALICE, "Alice")))
    answer = embed(interactions.post(command("league", user=discord_user(ALICE))))
    assert answer["title"].startswith("Reality · Bronze league · cohort 1 · ")
    lines = answer["description"].split("\n")
    assert lines[0].startswith("⬆️ **#1** __Alice__ — 600 XP")  # 2 players with XP: 1 moves up
    assert lines[1] == "**#2** Bob — 300 XP"  # Bronze demotes nobody
    assert "<t:" in answer["fields"][2]["value"]
    assert answer["footer"]["text"].endswith("you: #1 with 600 XP")
    refused = interactions.post(command("league", [{"name": "mode", "value": "cyber"}], user=discord_user(BOB)))
    assert refused.json()["data"]["flags"] == 64


# --- /events, /join --------------------------------------------------------------------------


@pytest.fixture
def events(db):
    now = utc_now()
    common = {"mode": "reality", "starts_at": now + timedelta(hours=1), "ends_at": now + timedelta(hours=3)}
    return {
        "open": Event.objects.create(
            name="Morning run", kind=Event.EVENT, required_layer="RL0", capacity=10, is_published=True, **common
        ),
        "gated": Event.objects.create(
            name="Flow dungeon", kind=Event.DUNGEON, required_layer="RL2", is_published=True, **common
        ),
        "hidden": Event.objects.create(
            name="Draft", kind=Event.EVENT, required_layer="RL0", is_published=False, **common
        ),
    }


def test_events_lists_published_events_with_the_gate(interactions, events):
    interactions.post(log(1, user=discord_user(ALICE)))
    answer = embed(interactions.post(command("events", user=discord_user(ALICE))))
    names = [f["name"] for f in answer["fields"]]
    assert names == [f"Morning run (event, #{events['open'].pk})", f"Flow dungeon (dungeon, #{events['gated'].pk})"]
    assert f"/join event:{events['open'].pk}" in answer["fields"][0]["value"]
    assert "Needs RL2 Flow" in answer["fields"][1]["value"]


def test_events_for_someone_without_an_account(interactions, events):
    answer = embed(interactions.post(command("events", user=discord_user(ALICE))))
    assert len(answer["fields"]) == 2
    assert "/log" in answer["footer"]["text"]


def test_join_an_open_event_then_again(interactions, events):
    event = events["open"]
    first = interactions.post(
        command("join", [{"name": "event", "type": 4, "value": event.pk}], user=discord_user(ALICE))
    )
    assert embed(first)["title"] == "You joined Morning run"
    event.refresh_from_db()
    assert event.participant_count == 1
    again = interactions.post(
        command("join", [{"name": "event", "type": 4, "value": event.pk}], user=discord_user(ALICE))
    )
    assert again.json()["data"]["flags"] == 64
    assert "already in" in embed(again)["description"]


def test_join_is_gated_by_layer_in_words(interactions, events):
    response = interactions.post(
        command("join", [{"name": "event", "type": 4, "value": events["gated"].pk}], user=discord_user(ALICE))
    )
    text = embed(response)["description"]
    assert response.json()["data"]["flags"] == 64
    assert "needs layer RL2 Flow; you are in RL0 Base" in text
    assert "XP to go" in text
    assert not CustomUser.objects.filter(discord_id=ALICE).exists()  # a refused join makes no account


@pytest.mark.parametrize("value", ["hidden", 999999999, "abc", None])
def test_join_unknown_event(interactions, events, value):
    event_id = events[value].pk if value == "hidden" else value
    response = interactions.post(
        command("join", [{"name": "event", "type": 4, "value": event_id}], user=discord_user(ALICE))
    )
    assert response.json()["data"]["flags"] == 64


# --- autocomplete ----------------------------------------------------------------------------


def autocomplete(name, option, value):
    payload = command(
        name, [{"name": option, "type": 3, "value": value, "focused": True}], user=discord_user(ALICE), kind=4
    )
    return payload


def test_activity_autocomplete_matches_active_activities(interactions):
    response = interactions.post(autocomplete("log", "activity", "run"))
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == 8
    assert {"name": "Running (reality, per km)", "value": "running"} in body["data"]["choices"]
    assert all("run" in c["value"] or "run" in c["name"].lower() for c in body["data"]["choices"])


def test_activity_autocomplete_is_capped_at_25_and_skips_inactive(interactions):
    for i in range(30):
        ActivityType.objects.create(
            key=f"drill{i:02d}",
            name=f"Drill {i:02d}",
            mode="reality",
            unit="set",
            xp_per_unit=1,
            max_units_per_entry=10,
        )
    ActivityType.objects.filter(key="drill00").update(is_active=False)
    choices = interactions.post(autocomplete("log", "activity", "drill")).json()["data"]["choices"]
    assert len(choices) == 25
    assert "drill00" not in {c["value"] for c in choices}
    everything = interactions.post(autocomplete("log", "activity", "")).json()["data"]["choices"]
    assert len(everything) == 25
    assert not CustomUser.objects.exists()


def test_event_autocomplete(interactions, events):
    choices = interactions.post(autocomplete("join", "event", "dung")).json()["data"]["choices"]
    assert choices == [{"name": "Flow dungeon (reality, from RL2)", "value": events["gated"].pk}]


# --- /leaderboard and its buttons ------------------------------------------------------------


def board_players(count):
    running = ActivityType.objects.get(key="running")
    for i in range(count):
        user = PlayerFactory(discord_id=f"9000000000000000{i:02d}", display_name=f"P{i:02d}")
        award_xp(user=user, activity=running, units=Decimal(i + 1), source="admin")


@pytest.mark.django_db(transaction=True)
def test_leaderboard_from_the_index_pages_with_buttons(interactions, redis_server, discord):
    board_players(12)
    response = interactions.post(command("leaderboard", user=discord_user(ALICE)))
    body = response.json()
    assert body["type"] == 4
    answer = body["data"]["embeds"][0]
    season = season_id_for(utc_now())
    assert answer["title"] == f"Reality leaderboard · {season}"
    lines = answer["description"].splitlines()
    assert len(lines) == 10
    assert lines[0].startswith("**#1** P11 — 3,600 XP")
    previous, following = body["data"]["components"][0]["components"]
    assert previous["disabled"] is True
    assert following["disabled"] is False
    assert following["custom_id"] == f"lb:reality:-:{season}:2"

    page2 = interactions.post(button(following["custom_id"], user=discord_user(ALICE))).json()
    assert page2["type"] == 7
    lines = page2["data"]["embeds"][0]["description"].splitlines()
    assert [line.split(" — ")[0] for line in lines] == ["**#11** P01", "**#12** P00"]
    previous, following = page2["data"]["components"][0]["components"]
    assert previous["custom_id"] == f"lb:reality:-:{season}:1"
    assert following["disabled"] is True
    assert not discord.received  # nothing deferred


@pytest.mark.django_db(transaction=True)
def test_leaderboard_with_a_league_and_mode(interactions, redis_server, discord):
    board_players(3)
    options = [{"name": "mode", "value": "cyber"}, {"name": "league", "value": "gold"}]
    body = interactions.post(command("leaderboard", options, user=discord_user(ALICE))).json()
    assert body["type"] == 4
    answer = body["data"]["embeds"][0]
    assert answer["title"].endswith("· Gold")
    assert "Nobody on this board yet" in answer["description"]
    assert body["data"]["components"][0]["components"][1]["custom_id"].startswith("lb:cyber:gold:")


@pytest.mark.django_db(transaction=True)
def test_leaderboard_without_a_ready_index_is_deferred_and_finished_by_a_job(interactions, discord, settings):
    settings.REDIS_URL = ""  # no index: the database answers, so not within Discord's 3 seconds
    board_players(12)
    payload = command("leaderboard", user=discord_user(ALICE))
    response = interactions.post(payload)
    assert response.json() == {"type": 5}
    run_pending_jobs()
    [followup] = discord.requests_to("PATCH", "/api/webhooks/")
    assert followup.path == f"/api/webhooks/{payload['application_id']}/{payload['token']}/messages/@original"
    assert followup.body["embeds"][0]["description"].splitlines()[0].startswith("**#1** P11")
    next_id = followup.body["components"][0]["components"][1]["custom_id"]

    clicked = button(next_id, user=discord_user(ALICE))
    assert interactions.post(clicked).json() == {"type": 6}  # deferred update of the same message
    run_pending_jobs()
    second = discord.requests_to("PATCH", "/api/webhooks/")[1]
    assert second.path == f"/api/webhooks/{clicked['application_id']}/{clicked['token']}/messages/@original"
    assert second.body["embeds"][0]["description"].startswith("**#11** P01")
    from prometheus_client import REGISTRY, generate_latest

    counted = generate_latest(REGISTRY).decode()  # igo_discord_requests_total: the token is no label
    assert 'route="PATCH /webhooks/{id}/{token}/messages/@original"' in counted
    assert payload["token"] not in counted and clicked["token"] not in counted


@pytest.mark.django_db(transaction=True)
def test_a_rate_limited_follow_up_is_sent_after_retry_after(interactions, discord, settings):
    settings.REDIS_URL = ""
    payload = command("leaderboard", user=discord_user(ALICE))
    path = f"/api/webhooks/{payload['application_id']}/{payload['token']}/messages/@original"
    # Long enough that the first run of the jobs, on a busy machine, cannot reach the retry too.
    discord.fail_next(path, 429, {"message": "You are being rate limited.", "retry_after": 1.5, "global": False})
    assert interactions.post(payload).json() == {"type": 5}
    run_pending_jobs()
    job = ProcrastinateJob.objects.get(task_name="community.tasks.finish_leaderboard")
    assert job.status == "todo"
    time.sleep(max(0.0, (job.scheduled_at - utc_now()).total_seconds()) + 0.1)
    run_pending_jobs()
    assert len(discord.requests_to("PATCH", path)) == 2
    assert ProcrastinateJob.objects.get(pk=job.pk).status == "succeeded"


@pytest.mark.parametrize(
    "custom_id",
    ["lb:reality:-:2026-13:1", "lb:astral:-:2026-01:1", "lb:reality:tin:2026-01:1", "x", "lb:reality:-:2026-01:0"],
)
def test_a_forged_button_is_refused_in_words(interactions, custom_id):
    body = interactions.post(button(custom_id, user=discord_user(ALICE))).json()
    assert body["type"] == 4
    assert body["data"]["flags"] == 64
    assert "no longer works" in body["data"]["embeds"][0]["description"]


def test_a_log_of_a_known_player_costs_a_few_queries(interactions, django_assert_max_num_queries):
    interactions.post(log(1, user=discord_user(ALICE)))
    # the account, the activity, the award statement, the server membership (+ the test's savepoint),
    # and the lifetime running units the seeded "marathoner" achievement counts (issue 26)
    with django_assert_max_num_queries(7):
        response = interactions.post(log(1, user=discord_user(ALICE)))
    assert embed(response)["title"] == "+300 XP · Running"


def test_refusals_follow_the_players_discord_language(interactions, events):
    german = log(0, user=discord_user(ALICE))
    german["locale"] = "de"
    assert embed(interactions.post(german))["description"] == "Die Menge muss größer als null sein."
    gated = command("join", [{"name": "event", "type": 4, "value": events["gated"].pk}], user=discord_user(ALICE))
    gated["locale"] = "de"
    assert embed(interactions.post(gated))["description"] == (
        "Dieses Event erfordert Layer RL2 Flow; du bist in RL0 Base: noch 5.809 XP."
    )
    english = log(0, user=discord_user(ALICE))
    english["locale"] = "en-GB"
    assert embed(interactions.post(english))["description"] == "Units must be more than zero."


def test_every_refusal_has_a_german_text():
    from django.utils import translation

    from core.exceptions import ERRORS

    with translation.override("de"):
        missing = [e.discord for e in ERRORS.values() if e.discord and translation.gettext(e.discord) == e.discord]
    assert missing == []
