"""Domain events reach a real receiver as signed Standard Webhooks, at least once, in order, with
retries on the statuses that deserve them; rolled-back or refused writes tell nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from rest_framework.test import APIClient

from core.constants.levels import level_for_xp
from core.services.xp import award_xp
from core.utils.dates import utc_now
from events.models import DomainEvent, WebhookDelivery, WebhookEndpoint
from tests.events.conftest import drain, jobs, make_due_now
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]


@pytest.fixture
def activity():
    return ActivityTypeFactory(key="events_run", mode="reality")


def test_a_level_up_over_http_reaches_the_receiver_signed_with_the_documented_body(receiver, endpoint, activity):
    hook = endpoint("level_up", "layer_up")
    player = PlayerFactory(discord_id="123456789012345678", display_name="Runner")
    client = APIClient()
    client.force_login(player)

    answer = client.post("/api/v1/xp/add/", {"activity": "events_run", "units": 300}, format="json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["level_up"] == {"from": 1, "to": 2}
    drain()

    [got] = receiver.delivered()
    assert receiver.bad_signatures == []
    entry_id = answer.json()["entry"]["id"]
    assert got.body["type"] == "level_up"
    assert got.body["timestamp"].endswith("Z")
    assert got.body["data"] == {
        "user": {"id": player.pk, "discord_id": "123456789012345678", "display_name": "Runner"},
        "sequence": 1,
        "from": 1,
        "to": 2,
        "total_xp": 300,
        "mode": "reality",
        "season": utc_now().strftime("%Y-%m"),
        "entry_id": entry_id,
    }
    event = DomainEvent.objects.get()
    assert got.msg_id == event.message_id
    delivery = WebhookDelivery.objects.get()
    assert (delivery.endpoint_id, delivery.status, delivery.attempts, delivery.last_status_code) == (
        hook.pk,
        "succeeded",
        1,
        200,
    )


def test_an_award_without_a_level_change_and_a_get_tell_nothing(receiver, endpoint, activity, player_client):
    endpoint("level_up")
    assert (
        player_client.post("/api/v1/xp/add/", {"activity": "events_run", "units": 10}, format="json").status_code == 201
    )
    assert player_client.get("/api/v1/user/profile/").status_code == 200
    assert player_client.get("/api/v1/xp/history/").status_code == 200
    assert DomainEvent.objects.count() == 0
    assert jobs() == []  # an award never writes a job row (the pump sweeps the events)


def test_a_refused_award_tells_nothing(receiver, endpoint, player_client):
    endpoint("level_up", "xp_awarded")
    ActivityTypeFactory(key="capped", daily_unit_cap=Decimal("100"))
    answer = player_client.post("/api/v1/xp/add/", {"activity": "capped", "units": 500}, format="json")
    assert answer.status_code == 422
    answer = player_client.post("/api/v1/xp/add/", {"activity": "nope", "units": 500}, format="json")
    assert answer.status_code == 400
    assert DomainEvent.objects.count() == 0
    assert jobs() == []


def test_a_rolled_back_award_has_no_event_and_no_job(receiver, endpoint, activity):
    endpoint("level_up", "xp_awarded")
    player = PlayerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        award = award_xp(user=player, activity=activity, units=Decimal(300), source="web")
        assert award.level_up is not None
        assert DomainEvent.objects.count() == 2  # level_up and xp_awarded, inside the transaction
        raise RuntimeError("the caller's transaction fails after the award")
    assert DomainEvent.objects.count() == 0
    assert jobs() == []
    drain()
    assert receiver.received == []


def test_xp_awarded_is_recorded_only_while_someone_subscribes(receiver, endpoint, activity):
    player = PlayerFactory()
    award_xp(user=player, activity=activity, units=Decimal(5), source="web")
    assert DomainEvent.objects.count() == 0
    endpoint("xp_awarded")
    award_xp(user=player, activity=activity, units=Decimal("5.5"), source="bot")
    event = DomainEvent.objects.get()
    assert event.type == "xp_awarded"
    assert event.data["units"] == "5.5" and event.data["xp"] == 5 and event.data["source"] == "bot"
    drain()
    assert [r.body["type"] for r in receiver.delivered()] == ["xp_awarded"]


def test_one_award_with_several_events_numbers_them_in_order(receiver, endpoint, activity):
    endpoint("level_up", "layer_up", "xp_awarded")
    player = PlayerFactory()
    award_xp(user=player, activity=activity, units=Decimal(1200), source="web")  # level 1 -> 5, RL0 -> RL1
    events = list(DomainEvent.objects.order_by("sequence"))
    assert [(e.type, e.sequence) for e in events] == [("level_up", 1), ("layer_up", 2), ("xp_awarded", 3)]
    assert events[1].data == {
        "mode": "reality",
        "from": "RL0",
        "to": "RL1",
        "mode_xp": 1200,
        "entry_id": events[0].data["entry_id"],
        "reason": "xp",
    }
    drain()
    assert [r.body["data"]["sequence"] for r in receiver.delivered()] == [1, 2, 3]


def test_receiver_answering_500_for_a_while_gets_everything_after_in_order(receiver, endpoint, activity):
    endpoint("level_up")
    receiver.respond = lambda n: (500, {}, 0.0) if n <= 12 else (200, {}, 0.0)
    player = PlayerFactory()
    for _ in range(5):
        award_xp(user=player, activity=activity, units=Decimal(2000), source="web")
    drain()
    got = receiver.delivered()
    level_ups = list(
        DomainEvent.objects.filter(type="level_up").order_by("sequence").values_list("sequence", flat=True)
    )
    assert len(level_ups) == 5
    assert [r.body["data"]["sequence"] for r in got] == level_ups  # in the player's order
    assert {r.msg_id for r in receiver.received if r.answered == 500} <= {r.msg_id for r in got}
    assert sum(d.attempts for d in WebhookDelivery.objects.all()) == 12 + 5
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert WebhookEndpoint.objects.get().failing_since is None


def test_retries_follow_the_backoff_schedule_and_honour_retry_after(receiver, endpoint, activity, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    endpoint("level_up")
    receiver.respond = lambda n: (
        (429, {"Retry-After": "120"}, 0.0) if n == 1 else (503, {}, 0.0) if n == 2 else (200, {}, 0.0)
    )
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")

    drain()  # 429 with Retry-After: 120 s (more than the 5 s backoff)
    [pending] = WebhookDelivery.objects.filter(status="pending")
    wait = pending.next_attempt_at - utc_now()
    assert timedelta(seconds=110) < wait <= timedelta(seconds=121)
    # the 429's Retry-After pauses the endpoint itself (its other deliveries wait too)
    paused_until = WebhookEndpoint.objects.get().paused_until
    assert paused_until is not None and timedelta(seconds=110) < paused_until - utc_now() <= timedelta(seconds=121)
    make_due_now()
    drain()  # 503, second failure: 5 x 4 = 20 s
    [pending] = WebhookDelivery.objects.filter(status="pending")
    assert timedelta(seconds=15) < pending.next_attempt_at - utc_now() <= timedelta(seconds=21)
    make_due_now()
    drain()
    assert len(receiver.delivered()) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert len({r.msg_id for r in receiver.received}) == 1  # the same webhook-id on every attempt


def test_a_timeout_is_retried(receiver, endpoint, activity, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.3
    endpoint("level_up")
    receiver.respond = lambda n: (200, {}, 1.0) if n == 1 else (200, {}, 0.0)
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)
    assert receiver.requests == 2


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_other_client_errors_stop_at_once(receiver, endpoint, activity, status):
    endpoint("level_up")
    receiver.respond = lambda n: (status, {"Location": "http://127.0.0.1:9/"}, 0.0)
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, status)
    assert receiver.requests == 1
    assert delivery.leased_until is None


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502])
def test_retryable_statuses_are_retried(receiver, endpoint, activity, status):
    endpoint("level_up")
    receiver.respond = lambda n: (status, {}, 0.0) if n == 1 else (200, {}, 0.0)
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    assert WebhookDelivery.objects.get().status == "succeeded"
    assert receiver.requests == 2


def test_connection_refused_is_retried_until_the_window_closes(closed_port, activity, settings):
    hook = WebhookEndpoint.objects.create(url=closed_port, event_types=["level_up"])
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error.startswith("connection error")
    # Three days later the next failure is the last.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created_at=utc_now() - timedelta(days=3))
    make_due_now()
    drain()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.leased_until is None
    hook.refresh_from_db()
    assert hook.failing_since is not None and hook.disabled_at is None


def test_an_endpoint_failing_every_delivery_for_five_days_is_disabled(closed_port, activity):
    hook = WebhookEndpoint.objects.create(
        url=closed_port, event_types=["level_up"], failing_since=utc_now() - timedelta(days=5, minutes=1)
    )
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    hook.refresh_from_db()
    assert hook.disabled_at is not None and hook.is_disabled
    # Once disabled it gets nothing more: the pending retry gives up, new events skip it.
    make_due_now()
    drain()
    assert WebhookDelivery.objects.get().status == "failed"
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    assert WebhookDelivery.objects.count() == 1


def test_a_success_ends_the_failure_streak(receiver, endpoint, activity):
    hook = endpoint("level_up")
    WebhookEndpoint.objects.filter(pk=hook.pk).update(failing_since=utc_now() - timedelta(days=4))
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    hook.refresh_from_db()
    assert hook.failing_since is None and hook.disabled_at is None


def test_redelivery_sends_the_same_webhook_id_again(receiver, endpoint, activity, admin_client):
    endpoint("level_up")
    award_xp(user=PlayerFactory(), activity=activity, units=Decimal(300), source="web")
    drain()
    delivery = WebhookDelivery.objects.get()
    answer = admin_client.post(
        "/admin/events/webhookdelivery/", {"action": "redeliver", "_selected_action": [delivery.pk]}
    )
    assert answer.status_code == 302
    drain()
    got = receiver.delivered()
    assert len(got) == 2 and got[0].msg_id == got[1].msg_id and got[0].body == got[1].body
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 2)


def test_the_admin_pages_show_endpoints_deliveries_and_events(receiver, endpoint, activity, admin_client):
    hook = endpoint("level_up")
    WebhookEndpoint.objects.filter(pk=hook.pk).update(disabled_at=utc_now())
    for path in ("/admin/events/webhookendpoint/", "/admin/events/webhookdelivery/", "/admin/events/domainevent/"):
        assert admin_client.get(path).status_code == 200
    assert "DISABLED" in admin_client.get("/admin/events/webhookendpoint/").content.decode()
    answer = admin_client.post("/admin/events/webhookendpoint/", {"action": "enable", "_selected_action": [hook.pk]})
    assert answer.status_code == 302
    hook.refresh_from_db()
    assert hook.disabled_at is None


def test_events_of_one_player_arrive_in_sequence_while_retries_are_pending(receiver, endpoint, activity, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    endpoint("level_up")
    receiver.respond = lambda n: (500, {}, 0.0) if n == 1 else (200, {}, 0.0)
    player = PlayerFactory()
    for _ in range(4):
        award_xp(user=player, activity=activity, units=Decimal(3000), source="web")
    drain()
    # The first delivery waits for its retry; the later ones wait behind it (same lock).
    assert receiver.delivered() == []
    make_due_now()
    drain()
    level_ups = list(
        DomainEvent.objects.filter(type="level_up").order_by("sequence").values_list("sequence", flat=True)
    )
    assert len(level_ups) == 4
    assert [r.body["data"]["sequence"] for r in receiver.delivered()] == level_ups


def test_create_webhook_prints_the_secret_last_and_refuses_bad_input(receiver, capsys):
    call_command("create_webhook", receiver.url, "--events", "level_up,layer_up")
    lines = capsys.readouterr().out.strip().splitlines()
    hook = WebhookEndpoint.objects.get()
    assert lines[-1] == hook.secret and hook.secret.startswith("whsec_")
    assert hook.event_types == ["level_up", "layer_up"] and hook.url == receiver.url
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown_event_type"):
        call_command("create_webhook", receiver.url, "--events", "level_up,levelup")
    with pytest.raises(CommandError, match="invalid_webhook_url"):
        call_command("create_webhook", "ftp://example.test/x", "--events", "level_up")
    assert WebhookEndpoint.objects.count() == 1


def test_level_for_the_award_matches_the_curve():
    assert level_for_xp(300) == 2 and level_for_xp(282) == 2 and level_for_xp(281) == 1
