"""Joining under real concurrency on PostgreSQL: threads with their own connections, released at once."""

from collections import Counter

import pytest
from rest_framework.test import APIClient

from layers.models import Event, EventParticipation
from tests.concurrency import run_at_once
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(clients, path):
    """POST ``path`` from every client at the same moment; the status and code of each answer."""

    def post(i):
        response = clients[i].post(path)
        return response.status_code, response.json().get("code")

    return run_at_once(post, len(clients))


def signed_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_more_players_than_seats_join_at_once_exactly_capacity_succeed(give_xp, make_event):
    capacity, players = 5, [PlayerFactory() for _ in range(16)]
    for player in players:
        give_xp(player, "cyber", 1118)  # CL1
    event = make_event(mode="cyber", required_layer="CL1", capacity=capacity, kind=Event.DUNGEON)

    results = at_once([signed_in(p) for p in players], f"/api/v1/events/{event.pk}/join/")

    assert Counter(results) == Counter({(201, None): capacity, (409, "event_full"): len(players) - capacity})
    event.refresh_from_db()
    assert event.participant_count == capacity
    booked = list(EventParticipation.objects.filter(event=event).values_list("user_id", flat=True))
    assert len(booked) == capacity == len(set(booked))
    winners = {players[i].pk for i, (status, _) in enumerate(results) if status == 201}
    assert winners == set(booked)


def test_one_player_racing_themself_is_booked_once(make_event):
    player = PlayerFactory()
    event = make_event(required_layer="RL0", capacity=3)

    results = at_once([signed_in(player) for _ in range(8)], f"/api/v1/events/{event.pk}/join/")

    assert Counter(results) == Counter({(201, None): 1, (409, "already_joined"): 7})
    event.refresh_from_db()
    assert event.participant_count == 1
    assert EventParticipation.objects.filter(event=event).count() == 1


def test_leaves_and_joins_racing_keep_the_count_equal_to_the_rows(make_event):
    event = make_event(required_layer="RL0", capacity=6)
    leavers = [PlayerFactory() for _ in range(6)]
    for player in leavers:
        assert signed_in(player).post(f"/api/v1/events/{event.pk}/join/").status_code == 201
    joiners = [PlayerFactory() for _ in range(10)]
    clients = [signed_in(p) for p in leavers] + [signed_in(p) for p in joiners]

    def act(i):
        action = "leave" if i < len(leavers) else "join"
        response = clients[i].post(f"/api/v1/events/{event.pk}/{action}/")
        assert response.status_code in (200, 201, 409), response.content

    run_at_once(act, len(clients))
    event.refresh_from_db()
    rows = EventParticipation.objects.filter(event=event).count()
    assert event.participant_count == rows <= 6
    assert not EventParticipation.objects.filter(event=event, user__in=leavers).exists()
