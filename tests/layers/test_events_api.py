"""Events and dungeons through the API: the list, the gate in both modes, joining, leaving,
the time window, capacity, participants for admins, and errors that never change anything."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.constants.layers import BY_CODE
from core.services.layers import layer_service
from layers.models import Event, EventParticipation
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

GATES = [("reality", "RL1"), ("reality", "RL3"), ("cyber", "CL1"), ("cyber", "CL2")]


def join(client, event):
    return client.post(f"/api/v1/events/{event.pk}/join/")


def leave(client, event):
    return client.post(f"/api/v1/events/{event.pk}/leave/")


def seats(event):
    event.refresh_from_db()
    return event.participant_count, EventParticipation.objects.filter(event=event).count()


# --- the gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "code"), GATES)
def test_one_xp_below_the_required_layer_is_refused_with_the_details_and_nothing_changes(
    client_for, give_xp, make_event, mode, code
):
    required = BY_CODE[code]
    client = client_for()
    give_xp(client.user, mode, required.min_xp - 1)
    event = make_event(mode=mode, required_layer=code, kind=Event.DUNGEON)

    response = join(client, event)

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "layer_too_low"
    below = [layer for layer in BY_CODE.values() if layer.mode == mode and layer.order == required.order - 1][0]
    assert (body["required_layer"], body["current_layer"], body["missing_xp"]) == (code, below.code, 1)
    assert seats(event) == (0, 0)


@pytest.mark.parametrize(("mode", "code"), GATES)
def test_exactly_at_the_required_layer_joins(client_for, give_xp, make_event, mode, code):
    client = client_for()
    give_xp(client.user, mode, BY_CODE[code].min_xp)
    event = make_event(mode=mode, required_layer=code)

    response = join(client, event)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["event"]["id"] == event.pk
    assert body["event"]["joined"] is True and body["event"]["can_join"] is False
    assert body["event"]["participants"] == 1 and body["event"]["missing_xp"] == 0
    assert body["joined_at"] and body["id"]
    assert seats(event) == (1, 1)


@pytest.mark.parametrize("mode", ["reality", "cyber"])
def test_xp_in_the_other_mode_does_not_open_the_gate(client_for, give_xp, make_event, mode):
    other = "cyber" if mode == "reality" else "reality"
    client = client_for()
    give_xp(client.user, other, 40000)
    event = make_event(mode=mode, required_layer="RL1" if mode == "reality" else "CL1")
    response = join(client, event)
    assert response.status_code == 403
    assert response.json()["missing_xp"] == 1118
    assert response.json()["current_layer"] == ("RL0" if mode == "reality" else "CL0")


def test_a_layer_0_event_is_open_to_a_brand_new_player(client_for, make_event):
    event = make_event(required_layer="RL0")
    assert join(client_for(), event).status_code == 201


# --- the list and the detail ------------------------------------------------------------------


def test_the_list_shows_upcoming_and_running_published_events_soonest_first(api_client, make_event):
    now = layer_service.utc_now()
    running = make_event(name="running", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1))
    upcoming = make_event(name="upcoming", starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=2))
    make_event(name="ended", starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1))
    make_event(name="draft", is_published=False)

    response = api_client.get("/api/v1/events/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["next"] is None
    assert [row["id"] for row in body["results"]] == [running.pk, upcoming.pk]
    row = body["results"][0]
    assert set(row) == {
        "id",
        "name",
        "kind",
        "mode",
        "required_layer",
        "starts_at",
        "ends_at",
        "capacity",
        "participants",
        "description",
        "can_join",
        "missing_xp",
        "joined",
    }
    assert row["can_join"] is None and row["missing_xp"] is None and row["joined"] is None
    assert row["required_layer"] == "RL1" and row["kind"] == "event" and row["participants"] == 0
    assert row["ends_at"].endswith("Z")


def test_the_list_tells_a_signed_in_player_what_they_can_join(client_for, give_xp, make_event):
    client = client_for()
    give_xp(client.user, "reality", 2000)  # RL1
    open_event = make_event(name="open", required_layer="RL1")
    too_high = make_event(name="too high", required_layer="RL2")
    full = make_event(name="full", required_layer="RL0", capacity=1)
    joined = make_event(name="joined", required_layer="RL0")
    cyber = make_event(name="cyber", mode="cyber", required_layer="CL1")
    layer_service.join_event(user=PlayerFactory(), event=full)
    layer_service.join_event(user=client.user, event=joined)

    rows = {row["name"]: row for row in client.get("/api/v1/events/").json()["results"]}

    assert (rows["open"]["can_join"], rows["open"]["missing_xp"], rows["open"]["joined"]) == (True, 0, False)
    assert (rows["too high"]["can_join"], rows["too high"]["missing_xp"]) == (False, 5809 - 2000)
    assert (rows["full"]["can_join"], rows["full"]["participants"], rows["full"]["capacity"]) == (False, 1, 1)
    assert (rows["joined"]["can_join"], rows["joined"]["joined"]) == (False, True)
    assert (rows["cyber"]["can_join"], rows["cyber"]["missing_xp"]) == (False, 1118)
    assert open_event and too_high and cyber


def test_the_list_costs_the_same_queries_for_3_or_30_events(client_for, give_xp, make_event, django_assert_num_queries):
    client = client_for()
    give_xp(client.user, "reality", 2000)
    for i in range(3):
        layer_service.join_event(user=client.user, event=make_event(name=f"e{i}", required_layer="RL0"))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/api/v1/events/").status_code == 200
    for i in range(27):
        make_event(name=f"more{i}", mode="cyber" if i % 2 else "reality")
    # session, user, the reader's profile, count, page
    with django_assert_num_queries(len(few.captured_queries)):
        body = client.get("/api/v1/events/").json()
    assert body["count"] == 30
    assert len(few.captured_queries) <= 5


def test_the_anonymous_list_is_two_queries(api_client, make_event, django_assert_num_queries):
    for i in range(5):
        make_event(name=f"e{i}")
    with django_assert_num_queries(2):  # count, page
        assert api_client.get("/api/v1/events/").status_code == 200


def test_the_detail_shows_one_event_and_404s_for_drafts_and_nonsense_ids(client_for, api_client, make_event):
    event = make_event()
    draft = make_event(is_published=False)
    assert api_client.get(f"/api/v1/events/{event.pk}/").json()["id"] == event.pk
    client = client_for()
    assert client.get(f"/api/v1/events/{event.pk}/").json()["missing_xp"] == 1118
    for path in (
        f"{draft.pk}/",
        "abc/",
        "0/",
        "-1/",
        "1.5/",
        "99999999999999999999999/",
        "9223372036854775808/",
        "%C2%B2/",
    ):
        response = api_client.get(f"/api/v1/events/{path}")
        assert response.status_code == 404, path
        assert response.json()["code"] in {"unknown_event", "not_found"}, path
    for path in ("abc", "99999999999999999999999", str(draft.pk)):
        response = client.post(f"/api/v1/events/{path}/join/")
        assert (response.status_code, response.json()["code"]) == (404, "unknown_event"), path
    assert seats(draft) == (0, 0)


# --- joining, capacity, leaving ---------------------------------------------------------------


def test_joining_twice_is_409_already_joined_and_books_one_seat(client_for, make_event):
    client = client_for()
    event = make_event(required_layer="RL0", capacity=5)
    assert join(client, event).status_code == 201
    response = join(client, event)
    assert (response.status_code, response.json()["code"]) == (409, "already_joined")
    assert seats(event) == (1, 1)


def test_a_full_event_is_409_event_full_and_changes_nothing(client_for, make_event):
    event = make_event(required_layer="RL0", capacity=2)
    assert join(client_for(), event).status_code == 201
    assert join(client_for(), event).status_code == 201
    late = client_for()
    response = join(late, event)
    assert (response.status_code, response.json()["code"]) == (409, "event_full")
    assert response.json()["capacity"] == 2
    assert seats(event) == (2, 2)
    assert not EventParticipation.objects.filter(user=late.user).exists()


def test_a_member_of_a_full_event_hears_already_joined(client_for, make_event):
    client = client_for()
    event = make_event(required_layer="RL0", capacity=1)
    assert join(client, event).status_code == 201
    assert join(client, event).json()["code"] == "already_joined"


def test_leaving_gives_the_seat_back_and_one_can_join_again(client_for, make_event):
    event = make_event(required_layer="RL0", capacity=1)
    first, second = client_for(), client_for()
    assert join(first, event).status_code == 201
    response = leave(first, event)
    assert response.status_code == 200
    assert response.json()["participants"] == 0 and response.json()["joined"] is False
    assert response.json()["can_join"] is True
    assert seats(event) == (0, 0)
    assert join(second, event).status_code == 201
    assert join(first, event).json()["code"] == "event_full"


def test_leaving_without_having_joined_is_409_not_joined(client_for, make_event):
    event = make_event(required_layer="RL0")
    layer_service.join_event(user=PlayerFactory(), event=event)
    response = leave(client_for(), event)
    assert (response.status_code, response.json()["code"]) == (409, "not_joined")
    assert seats(event) == (1, 1)


def test_anonymous_cannot_join_or_leave(api_client, make_event):
    event = make_event(required_layer="RL0")
    for response in (join(api_client, event), leave(api_client, event)):
        assert response.status_code in (401, 403)
        assert response.json()["code"] == "not_authenticated"
    assert seats(event) == (0, 0)


def test_join_only_accepts_post(client_for, make_event):
    event = make_event(required_layer="RL0")
    response = client_for().get(f"/api/v1/events/{event.pk}/join/")
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


# --- the time window: open from publication until ends_at --------------------------------------


def at(monkeypatch, moment):
    monkeypatch.setattr(layer_service, "utc_now", lambda: moment)


def test_signing_up_before_the_start_is_allowed(client_for, make_event):
    now = layer_service.utc_now()
    event = make_event(required_layer="RL0", starts_at=now + timedelta(days=7), ends_at=now + timedelta(days=8))
    assert join(client_for(), event).status_code == 201


def test_joining_one_microsecond_before_the_end_is_allowed(client_for, make_event, monkeypatch):
    event = make_event(required_layer="RL0")
    at(monkeypatch, event.ends_at - timedelta(microseconds=1))
    assert join(client_for(), event).status_code == 201


def test_joining_exactly_at_the_end_or_later_is_409_event_not_open(client_for, make_event, monkeypatch):
    event = make_event(required_layer="RL0")
    client = client_for()
    for moment in (event.ends_at, event.ends_at + timedelta(days=1)):
        at(monkeypatch, moment)
        response = join(client, event)
        assert (response.status_code, response.json()["code"]) == (409, "event_not_open")
        assert response.json()["ends_at"]
    assert seats(event) == (0, 0)


def test_leaving_after_the_end_is_409_and_keeps_the_participation(client_for, make_event, monkeypatch):
    event = make_event(required_layer="RL0")
    client = client_for()
    assert join(client, event).status_code == 201
    at(monkeypatch, event.ends_at)
    response = leave(client, event)
    assert (response.status_code, response.json()["code"]) == (409, "event_not_open")
    assert seats(event) == (1, 1)


def test_the_window_is_checked_before_the_gate(client_for, make_event, monkeypatch):
    """An ended event says "not open" even to a player whose layer is too low."""
    event = make_event(required_layer="RLX")
    at(monkeypatch, event.ends_at)
    assert join(client_for(), event).json()["code"] == "event_not_open"


# --- participants (admins) --------------------------------------------------------------------


def test_admins_see_the_participants_in_join_order_and_players_get_403(client_for, admin_user, make_event):
    event = make_event(required_layer="RL0")
    players = [PlayerFactory() for _ in range(3)]
    for p in players:
        layer_service.join_event(user=p, event=event)
    admin = client_for(admin_user)

    response = admin.get(f"/api/v1/events/{event.pk}/participants/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["user_id"] for row in body["results"]] == [p.pk for p in players]
    assert set(body["results"][0]) == {"user_id", "username", "display_name", "discord_id", "joined_at"}

    response = client_for(players[0]).get(f"/api/v1/events/{event.pk}/participants/")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert admin.get("/api/v1/events/abc/participants/").status_code == 404
    assert admin.get("/api/v1/events/999999999/participants/").json()["code"] == "unknown_event"


def test_joining_and_leaving_count_against_the_players_write_limit(client_for, make_event, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "player_write": "2/min"},
    }
    event = make_event(required_layer="RL0")
    client = client_for()
    assert join(client, event).status_code == 201
    assert leave(client, event).status_code == 200
    response = join(client, event)
    assert (response.status_code, response.json()["code"]) == (429, "throttled")
    assert seats(event) == (0, 0)
