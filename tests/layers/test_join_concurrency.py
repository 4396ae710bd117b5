"""Joining under real concurrency on PostgreSQL: threads with their own connections, released at once."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from layers.models import Event, EventParticipation
from users.tests.factories import PlayerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(clients, path):
    """POST ``path`` from every client at the same moment; the status and code of each answer."""
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str | None]] = [(0, None)] * len(clients)
    errors: list[BaseException] = []

    def target(i):
        try:
            barrier.wait()
            response = clients[i].post(path)
            results[i] = (response.status_code, response.json().get("code"))
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def signed_in(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_more_players_than_seats_join_at_once_exactly_capacity_succeed(postgres, give_xp, make_event):
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


def test_one_player_racing_themself_is_booked_once(postgres, make_event):
    player = PlayerFactory()
    event = make_event(required_layer="RL0", capacity=3)

    results = at_once([signed_in(player) for _ in range(8)], f"/api/v1/events/{event.pk}/join/")

    assert Counter(results) == Counter({(201, None): 1, (409, "already_joined"): 7})
    event.refresh_from_db()
    assert event.participant_count == 1
    assert EventParticipation.objects.filter(event=event).count() == 1


def test_leaves_and_joins_racing_keep_the_count_equal_to_the_rows(postgres, make_event):
    event = make_event(required_layer="RL0", capacity=6)
    leavers = [PlayerFactory() for _ in range(6)]
    for player in leavers:
        assert signed_in(player).post(f"/api/v1/events/{event.pk}/join/").status_code == 201
    joiners = [PlayerFactory() for _ in range(10)]
    clients = [signed_in(p) for p in leavers] + [signed_in(p) for p in joiners]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def target(i):
        try:
            barrier.wait()
            action = "leave" if i < len(leavers) else "join"
            response = clients[i].post(f"/api/v1/events/{event.pk}/{action}/")
            assert response.status_code in (200, 201, 409), response.content
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    event.refresh_from_db()
    rows = EventParticipation.objects.filter(event=event).count()
    assert event.participant_count == rows <= 6
    assert not EventParticipation.objects.filter(event=event, user__in=leavers).exists()
