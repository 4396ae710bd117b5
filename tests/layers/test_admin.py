"""The Django admin for layers and events: pages render, removing a participant frees the seat,
and an event whose required layer is on the wrong ladder is refused."""

from datetime import timedelta

import pytest
from django.test import Client

from core.services.layers import layer_service
from core.utils.dates import utc_now
from layers.models import CyberLayerStatus, Event, EventParticipation, LayerChange
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def event_form(event, **overrides):
    now = utc_now()
    data = {
        "name": event.name if event else "Void run",
        "kind": "dungeon",
        "mode": "cyber",
        "required_layer": "CL2",
        "starts_at_0": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
        "starts_at_1": "18:00:00",
        "ends_at_0": (now + timedelta(days=1)).strftime("%Y-%m-%d"),
        "ends_at_1": "21:00:00",
        "capacity": "3",
        "description": "",
        "is_published": "on",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "participations-MIN_NUM_FORMS": "0",
        "participations-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def test_admin_pages_render(admin_client_, give_xp, make_event):
    player = PlayerFactory()
    give_xp(player, "cyber", 6000)
    event = make_event(required_layer="RL0")
    layer_service.join_event(user=player, event=event)
    for url in (
        "/admin/layers/event/",
        f"/admin/layers/event/{event.pk}/change/",
        "/admin/layers/event/add/",
        "/admin/layers/cyberlayerstatus/",
        "/admin/layers/realitylayerstatus/",
        f"/admin/layers/cyberlayerstatus/{player.pk}/change/",
        "/admin/layers/layerchange/",
        f"/admin/layers/layerchange/{LayerChange.objects.get(user=player).pk}/change/",
    ):
        assert admin_client_.get(url).status_code == 200, url
    assert CyberLayerStatus.objects.get(user=player).layer == 2


def test_an_admin_creates_an_event_and_a_wrong_ladder_is_refused(admin_client_):
    response = admin_client_.post("/admin/layers/event/add/", event_form(None))
    assert response.status_code == 302, response.content[:2000]
    assert Event.objects.get(name="Void run").required_layer == "CL2"
    response = admin_client_.post("/admin/layers/event/add/", event_form(None, name="Wrong", required_layer="RL2"))
    assert response.status_code == 200
    assert b"ladder of the event" in response.content
    response = admin_client_.post("/admin/layers/event/add/", event_form(None, name="Zero", capacity="0"))
    assert response.status_code == 200
    assert not Event.objects.filter(name__in=["Wrong", "Zero"]).exists()


def test_removing_a_participant_in_the_admin_gives_the_seat_back(admin_client_, make_event):
    event = make_event(mode="cyber", required_layer="CL0", capacity=3)
    players = [PlayerFactory() for _ in range(2)]
    for p in players:
        layer_service.join_event(user=p, event=event)
    rows = list(EventParticipation.objects.filter(event=event).order_by("id"))
    data = event_form(
        event,
        required_layer="CL0",
        **{
            "participations-TOTAL_FORMS": "2",
            "participations-INITIAL_FORMS": "2",
            "participations-0-id": str(rows[0].pk),
            "participations-0-event": str(event.pk),
            "participations-0-DELETE": "on",
            "participations-1-id": str(rows[1].pk),
            "participations-1-event": str(event.pk),
        },
    )
    response = admin_client_.post(f"/admin/layers/event/{event.pk}/change/", data)
    assert response.status_code == 302, response.content[:3000]
    event.refresh_from_db()
    assert event.participant_count == 1
    assert list(EventParticipation.objects.filter(event=event).values_list("user_id", flat=True)) == [players[1].pk]
