"""Every change worth telling records its event in its own transaction, exactly once: joining and
leaving events, corrections (and the layer going down), league moves and the season close; and
in-process consumers (DOMAIN_EVENT_CONSUMERS) get them from jobs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.services.xp import award_xp, correct_entry
from core.utils.dates import utc_now
from events.models import DomainEvent
from layers.models import Event
from tests.events import consumers
from tests.events.conftest import drain, jobs
from tests.seasons.helpers import at, award_at
from users.tests.factories import PlayerFactory
from xp.models import UserProfile
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]


def make_event(**overrides):
    now = utc_now()
    fields = {
        "name": "Night run",
        "mode": "reality",
        "required_layer": "RL0",
        "starts_at": now + timedelta(hours=1),
        "ends_at": now + timedelta(hours=3),
    }
    return Event.objects.create(**{**fields, **overrides})


def test_joining_and_leaving_an_event_are_told_and_refusals_are_not(receiver, endpoint):
    endpoint("event_joined", "event_left")
    player = PlayerFactory(discord_id="223456789012345678")
    client = APIClient()
    client.force_login(player)
    run = make_event(capacity=1)
    assert client.post(f"/api/v1/events/{run.pk}/join/").status_code == 201
    assert client.post(f"/api/v1/events/{run.pk}/join/").status_code == 409  # already joined: no event
    other = APIClient()
    other.force_login(PlayerFactory())
    assert other.post(f"/api/v1/events/{run.pk}/join/").status_code == 409  # full: no event
    assert client.post(f"/api/v1/events/{run.pk}/leave/").status_code in (200, 204)
    assert client.post(f"/api/v1/events/{run.pk}/leave/").status_code == 409  # not joined: no event
    assert list(DomainEvent.objects.order_by("id").values_list("type", "user_id", "sequence")) == [
        ("event_joined", player.pk, 1),
        ("event_left", player.pk, 2),
    ]
    drain()
    got = [r.body for r in receiver.delivered()]
    assert [b["type"] for b in got] == ["event_joined", "event_left"]
    assert got[0]["data"]["event"] == {"id": run.pk, "name": "Night run", "kind": "event", "mode": "reality"}
    assert got[0]["data"]["user"]["discord_id"] == "223456789012345678"


def test_a_correction_tells_correction_and_layer_down(receiver, endpoint):
    endpoint("correction", "layer_down", "level_up", "layer_up")
    activity = ActivityTypeFactory(key="corr_run")
    player = PlayerFactory()
    award_xp(user=player, activity=activity, units=Decimal(100), source="web")
    big = award_xp(user=player, activity=activity, units=Decimal(1100), source="web").entry  # RL1, level 5
    admin = PlayerFactory(username="admin_corrector")
    DomainEvent.objects.all().delete()
    correction = correct_entry(entry=big, reason="GPS glitch", corrected_by=admin).entry
    events = list(DomainEvent.objects.order_by("sequence"))
    assert [e.type for e in events] == ["correction", "layer_down"]
    assert events[0].data == {
        "entry_id": correction.pk,
        "corrects": big.pk,
        "xp": -1100,
        "total_xp": 100,
        "mode": "reality",
        "mode_xp": 100,
        "season": big.season_id,
        "reason": "GPS glitch",
        "level_from": 5,
        "level_to": 1,
    }
    assert events[1].data == {
        "mode": "reality",
        "from": "RL1",
        "to": "RL0",
        "mode_xp": 100,
        "entry_id": correction.pk,
        "reason": "correction",
    }
    assert events[0].sequence == events[1].sequence - 1
    drain()
    assert [r.body["type"] for r in receiver.delivered()] == ["correction", "layer_down"]


def test_closing_a_season_tells_each_league_move_and_the_close_once(receiver, endpoint):
    endpoint("league_changed", "season_closed")
    players = [PlayerFactory(username=f"closer{i}") for i in range(10)]
    UserProfile.objects.filter(user__in=players).update(reality_league="silver")
    for i, user in enumerate(players):
        award_at(user, 1000 - i, at("2026-01-15T12:00:00"))
    DomainEvent.objects.all().delete()  # level-ups of the set-up
    call_command("close_seasons", "--no-progress")
    call_command("close_seasons", "--no-progress")  # a second run changes nothing, tells nothing
    moves = list(DomainEvent.objects.filter(type="league_changed").order_by("id"))
    assert {(e.user_id, e.data["from"], e.data["to"], e.data["movement"]) for e in moves} == {
        (players[0].pk, "silver", "gold", "up"),  # a cohort of 10: 2 up, 1 down
        (players[1].pk, "silver", "gold", "up"),
        (players[9].pk, "silver", "bronze", "down"),
    }
    assert all(e.data["season"] == "2026-01" and e.data["mode"] == "reality" for e in moves)
    [closed] = DomainEvent.objects.filter(type="season_closed")
    assert closed.user_id is None and closed.sequence is None
    assert closed.data["season"] == "2026-01" and (closed.data["promoted"], closed.data["demoted"]) == (2, 1)
    drain()
    bodies = [r.body for r in receiver.delivered()]
    assert sorted(b["type"] for b in bodies) == ["league_changed"] * 3 + ["season_closed"]
    season_body = next(b for b in bodies if b["type"] == "season_closed")
    assert "user" not in season_body["data"]


def test_consumers_get_their_events_from_jobs_and_a_failing_one_is_retried(settings):
    settings.DOMAIN_EVENT_CONSUMERS = [
        "tests.events.consumers.record_all",
        "tests.events.consumers.level_ups_flaky",
        "tests.events.consumers.everything_with_volume",
    ]
    consumers.SEEN.clear()
    consumers.FAILURES["left"] = 2
    activity = ActivityTypeFactory(key="consumed_run")
    player = PlayerFactory()
    from achievements.models import Achievement

    Achievement.objects.update(is_active=False)  # this test is about consumers, not first_steps
    award_xp(user=player, activity=activity, units=Decimal(300), source="web")  # level_up + xp_awarded (wanted)
    assert sorted(DomainEvent.objects.values_list("type", flat=True)) == ["level_up", "xp_awarded"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    drain()
    for _ in range(3):  # the flaky consumer's retries, with procrastinate's backoff moved to now
        from tests.events.conftest import make_due_now

        make_due_now()
        drain()
    seen = sorted(t for t, _, _ in consumers.SEEN)
    assert seen == ["flaky:level_up", "level_up", "volume:xp_awarded"]
    assert jobs("events.run_consumer", "todo") == []


def test_an_unknown_consumer_path_fails_loudly(settings):
    from core.services.events import domain_events

    settings.DOMAIN_EVENT_CONSUMERS = ["tests.events.consumers.no_such_function"]
    with pytest.raises(ImportError):
        domain_events.consumers()


def test_a_held_report_and_its_decision_are_told_to_webhooks(receiver, endpoint):
    from tests.claims.helpers import claim_running, client_for, reviewer, vote

    endpoint("claim_submitted", "claim_decided")
    player = PlayerFactory(discord_id="223456789012345679")
    claim = claim_running(client_for(player), 60)
    for judge in [reviewer() for _ in range(3)]:
        assert vote(judge, claim["id"], "approve").status_code == 201
    drain()
    got = [r.body for r in receiver.delivered()]
    assert [b["type"] for b in got] == ["claim_submitted", "claim_decided"]
    submitted, decided = (b["data"] for b in got)
    assert submitted["user"]["id"] == player.pk and submitted["claim_id"] == claim["id"]
    assert (submitted["state"], submitted["units"], submitted["xp"]) == ("pending", "60.00", 18_000)
    assert (decided["state"], decided["via"], decided["xp"]) == ("approved", "community", 18_000)
    assert decided["sequence"] > submitted["sequence"]
