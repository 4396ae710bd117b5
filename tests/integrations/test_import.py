"""Activities become XP: webhook → task queue → stravalib → stand-in Strava → award_xp.

Every test posts Strava's events to the webhook over HTTP and runs the queue as the worker does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection as db
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from integrations import client as strava_client
from integrations.models import StravaActivity, StravaConnection
from tests.jobs import run_pending_jobs
from ultrabackend import crypto
from users.models import CustomUser
from xp.models import UserProfile, XPEntry

from .conftest import FakeStrava, connect, event

pytestmark = pytest.mark.django_db(transaction=True)
WEBHOOK = "/api/v1/integrations/strava/webhook/"
ATHLETE = 5001


@pytest.fixture(autouse=True)
def _empty_queue() -> None:
    """The queue's tables are not Django-managed, so transactional tests do not empty them."""
    with db.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


def send(aspect: str, activity_id: int, owner_id: int = ATHLETE, **kwargs: Any) -> None:
    answer = APIClient().post(WEBHOOK, event(aspect, activity_id, owner_id, **kwargs), format="json")
    assert answer.status_code == 200, answer.content


def total_xp(user: Any) -> int:
    profile = UserProfile.objects.filter(user=user).first()
    return profile.total_xp if profile else 0


def my_activities(client: APIClient) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/integrations/strava/activities/")
    assert answer.status_code == 200
    return answer.json()["results"]


def test_a_run_becomes_xp_once_even_when_strava_sends_the_create_event_three_times(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    run = strava.add_activity(ATHLETE, sport_type="Run", distance=10234.0, moving_time=3100)
    for _ in range(3):
        send("create", run)
        run_pending_jobs()
    send("create", run)  # and once more after it was imported
    run_pending_jobs()

    entry = XPEntry.objects.get(user=player)
    assert entry.idempotency_key == f"strava:{run}"
    assert entry.source == "strava"
    assert entry.activity.key == "running"
    assert entry.units == Decimal("10.23")  # metres → km, floored to 0.01
    assert entry.xp == 3069  # 10.23 km x 300
    assert total_xp(player) == 3069
    [shown] = my_activities(player_client)
    assert shown["activity_id"] == run
    assert (shown["state"], shown["xp"], shown["entry_id"], shown["activity"]) == ("awarded", 3069, entry.pk, "running")
    assert player_client.get("/api/v1/xp/history/").json()["results"][0]["source"] == "strava"


@pytest.mark.parametrize(
    ("sport_type", "activity_type", "expected"),
    [
        ("TrailRun", None, "running"),
        ("VirtualRun", None, "running"),
        ("Hike", None, "walking"),
        ("Walk", None, "walking"),
        ("GravelRide", None, "cycling"),
        ("MountainBikeRide", None, "cycling"),
        ("VirtualRide", None, "cycling"),
        ("Swim", None, "swimming"),
        (None, "Ride", "cycling"),  # no sport_type: the older type decides
    ],
)
def test_sports_map_to_catalogue_activities(
    strava: FakeStrava, connected: int, player, sport_type, activity_type, expected
):
    distance, seconds = (2000.0, 1800) if expected == "swimming" else (8000.0, 2400)
    activity = strava.add_activity(
        ATHLETE, sport_type=sport_type, activity_type=activity_type, distance=distance, moving_time=seconds
    )
    send("create", activity)
    run_pending_jobs()
    record = StravaActivity.objects.get(strava_id=activity)
    assert (record.state, record.activity_key) == ("awarded", expected)
    assert XPEntry.objects.get(user=player).activity.key == expected


@pytest.mark.parametrize("sport_type", ["EBikeRide", "Yoga", "WeightTraining", "Workout"])
def test_other_sports_are_recorded_as_ignored(
    strava: FakeStrava, connected: int, player, player_client: APIClient, sport_type
):
    activity = strava.add_activity(ATHLETE, sport_type=sport_type, distance=20000.0, moving_time=3600)
    send("create", activity)
    run_pending_jobs()
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["reason"], shown["xp"], shown["entry_id"]) == (
        "ignored",
        "unsupported_sport",
        0,
        None,
    )
    assert not XPEntry.objects.exists()


def test_an_edited_distance_corrects_the_old_entry_and_awards_the_new_one(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    run = strava.add_activity(ATHLETE, distance=10000.0, moving_time=3000)
    send("create", run)
    run_pending_jobs()
    first = XPEntry.objects.get(user=player)

    strava.activities[run]["distance"] = 12500.0
    send("update", run, title="Longer than I thought")
    run_pending_jobs()
    send("update", run, title="Again")  # unchanged since: nothing more happens
    run_pending_jobs()

    entries = list(XPEntry.objects.filter(user=player).order_by("id"))
    assert [(e.xp, e.idempotency_key) for e in entries] == [
        (3000, f"strava:{run}"),
        (-3000, None),
        (3750, f"strava:{run}:r1"),
    ]
    assert entries[1].corrects_id == first.pk
    assert total_xp(player) == 3750
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["xp"], shown["entry_id"], shown["revision"]) == ("awarded", 3750, entries[2].pk, 1)

    strava.activities[run]["sport_type"] = strava.activities[run]["type"] = "Walk"
    send("update", run)
    run_pending_jobs()
    assert total_xp(player) == 2500  # 12.5 km walking x 200
    assert XPEntry.objects.filter(user=player, idempotency_key=f"strava:{run}:r2").get().activity.key == "walking"


def test_a_deleted_activity_reverses_its_xp(strava: FakeStrava, connected: int, player, player_client: APIClient):
    run = strava.add_activity(ATHLETE)
    send("create", run)
    run_pending_jobs()
    assert total_xp(player) == 3000

    del strava.activities[run]
    send("delete", run)
    run_pending_jobs()
    send("delete", run)  # Strava retries: still reversed once
    run_pending_jobs()

    assert total_xp(player) == 0
    assert XPEntry.objects.filter(user=player, xp=-3000).count() == 1
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["xp"]) == ("reversed", 0)
    send("update", run)  # a late update changes nothing
    run_pending_jobs()
    assert total_xp(player) == 0


def test_a_forged_delete_of_an_activity_that_still_exists_changes_nothing(strava: FakeStrava, connected: int, player):
    run = strava.add_activity(ATHLETE)
    send("create", run)
    run_pending_jobs()
    send("delete", run)  # Strava still has the activity: the unsigned event is not believed
    run_pending_jobs()
    assert total_xp(player) == 3000
    assert StravaActivity.objects.get(strava_id=run).state == "awarded"


def test_a_deauthorization_disconnects_and_forgets_the_tokens(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    strava.revoke(ATHLETE)  # the athlete removed the app at Strava
    asked = len(strava.requests)
    send("update", ATHLETE, object_type="athlete", authorized="false")
    run_pending_jobs()
    assert not StravaConnection.objects.filter(athlete_id=ATHLETE).exists()
    assert len(strava.requests) == asked + 1  # Strava asked once (the unsigned event could be forged): refused
    profile = player_client.get("/api/v1/user/profile/").json()
    assert profile["integrations"]["strava"] == {"connected": False, "athlete_id": None}


def _admin() -> Client:
    admin = CustomUser.objects.create_superuser("reviewer", "reviewer@example.test", "pw")
    client = Client()
    client.force_login(admin)
    return client


def test_an_implausible_ride_waits_for_review_then_approve_awards_it(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    ride = strava.add_activity(ATHLETE, sport_type="Ride", distance=100000.0, moving_time=1800)  # 200 km/h
    send("create", ride)
    run_pending_jobs()
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["reason"], shown["xp"]) == ("held", "implausible_speed", 0)
    assert total_xp(player) == 0

    admin = _admin()
    queue = admin.get("/admin/integrations/stravaactivity/")
    assert queue.status_code == 200
    assert str(ride) in queue.content.decode()
    record = StravaActivity.objects.get(strava_id=ride)
    answer = admin.post(
        "/admin/integrations/stravaactivity/", {"action": "approve_activities", "_selected_action": [record.pk]}
    )
    assert answer.status_code == 302
    record.refresh_from_db()
    assert record.state == "awarded"
    assert record.reviewed_by is not None
    assert total_xp(player) == 15000  # 100 km cycling x 150
    # Approved through the held activity's claim (the one review queue): once, under its key.
    claim = record.entry.claim
    assert XPEntry.objects.get(user=player).idempotency_key == f"claim:{claim.pk}"
    assert (claim.kind, claim.state, claim.decided_via) == ("strava", "approved", "moderator")
    assert str(ride) not in admin.get("/admin/integrations/stravaactivity/").content.decode()  # left the queue


def test_reject_needs_a_reason_and_the_player_sees_it(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    run = strava.add_activity(ATHLETE, distance=30000.0, moving_time=1800)  # 60 km/h "run"
    send("create", run)
    run_pending_jobs()
    record = StravaActivity.objects.get(strava_id=run)
    admin = _admin()
    url = "/admin/integrations/stravaactivity/"
    form = admin.post(url, {"action": "reject_activities", "_selected_action": [record.pk]})
    assert form.status_code == 200 and b"Reason (required)" in form.content
    admin.post(url, {"action": "reject_activities", "_selected_action": [record.pk], "apply": "1", "reason": "  "})
    record.refresh_from_db()
    assert record.state == "held"
    admin.post(
        url,
        {"action": "reject_activities", "_selected_action": [record.pk], "apply": "1", "reason": "Recorded in a car"},
    )
    record.refresh_from_db()
    assert record.state == "rejected"
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["review_reason"], shown["xp"]) == ("rejected", "Recorded in a car", 0)
    assert total_xp(player) == 0


def test_a_manual_activity_is_held_for_review(strava: FakeStrava, connected: int, player, player_client: APIClient):
    walk = strava.add_activity(ATHLETE, sport_type="Walk", distance=5000.0, moving_time=3600, manual=True)
    send("create", walk)
    run_pending_jobs()
    [shown] = my_activities(player_client)
    assert (shown["state"], shown["reason"], shown["manual"]) == ("held", "manual_activity", True)
    assert total_xp(player) == 0


def test_caps_and_per_entry_maxima_apply_and_the_refusal_is_visible(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    ultra = strava.add_activity(ATHLETE, distance=120000.0, moving_time=12 * 3600)  # over 100 km per entry
    send("create", ultra)
    first = strava.add_activity(ATHLETE, distance=90000.0, moving_time=9 * 3600)
    second = strava.add_activity(ATHLETE, distance=90000.0, moving_time=9 * 3600)  # 180 km > 150 a day
    send("create", first)
    send("create", second)
    run_pending_jobs()
    states = {a["activity_id"]: (a["state"], a["reason"]) for a in my_activities(player_client)}
    assert states.pop(ultra) == ("refused", "units_over_entry_max")
    # The worker imports the two in parallel: whichever commits first is awarded, the other is
    # over the day's cap.
    assert sorted(states.values()) == [("awarded", ""), ("refused", "daily_cap_exceeded")]
    assert set(states) == {first, second}
    assert total_xp(player) == 27000


def test_activities_from_before_the_connection_are_not_imported_unless_backfilled_once(
    strava: FakeStrava, connected: int, player, player_client: APIClient
):
    now = datetime.now(UTC)
    old = strava.add_activity(ATHLETE, start_date=now - timedelta(days=3))
    ancient = strava.add_activity(ATHLETE, start_date=now - timedelta(days=10))
    send("update", old)  # an edit of an activity from before the connection
    run_pending_jobs()
    assert not StravaActivity.objects.exists()

    answer = player_client.post("/api/v1/integrations/strava/backfill/")
    assert answer.status_code == 202
    run_pending_jobs()
    assert set(StravaActivity.objects.values_list("strava_id", flat=True)) == {old}  # not the 10-day-old
    assert ancient in strava.activities
    assert XPEntry.objects.get(user=player).idempotency_key == f"strava:{old}"

    again = player_client.post("/api/v1/integrations/strava/backfill/")
    assert (again.status_code, again.json()["code"]) == (409, "strava_backfill_used")
    run_pending_jobs()
    assert XPEntry.objects.filter(user=player).count() == 1


def test_backfill_needs_a_connection(strava: FakeStrava, player_client: APIClient):
    answer = player_client.post("/api/v1/integrations/strava/backfill/")
    assert (answer.status_code, answer.json()["code"]) == (404, "strava_not_connected")


def test_the_activity_list_is_paginated(strava: FakeStrava, connected: int, player_client: APIClient):
    for _ in range(3):
        send("create", strava.add_activity(ATHLETE, sport_type="Yoga"))
    run_pending_jobs()
    page = player_client.get("/api/v1/integrations/strava/activities/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]
    rest = player_client.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert APIClient().get("/api/v1/integrations/strava/activities/").status_code == 401


def _job(activity_id: int) -> ProcrastinateJob:
    return ProcrastinateJob.objects.get(
        task_name="integrations.tasks.sync_strava_activity", args__activity_id=activity_id
    )


def _time_passes(job_id: int) -> None:
    """The retry's moment has come (and Strava's window reset)."""
    with db.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", [job_id])
    strava_client.forget_rate_limit_block()


def test_a_429_delays_the_job_to_the_next_window_without_losing_anything(strava: FakeStrava, connected: int, player):
    run = strava.add_activity(ATHLETE)
    strava.fail("429")
    send("create", run)
    before = datetime.now(UTC)
    run_pending_jobs()

    job = _job(run)
    assert job.status == "todo" and job.attempts == 1
    assert job.scheduled_at is not None
    assert job.scheduled_at.minute % 15 == 0 and job.scheduled_at.second == 0
    assert timedelta(0) < job.scheduled_at - before <= timedelta(minutes=16)  # (a boundary may pass meanwhile)
    assert not XPEntry.objects.exists()

    # While the window is used up, other work waits too, without asking Strava.
    other = strava.add_activity(ATHLETE, sport_type="Walk", distance=3000.0, moving_time=1800)
    asked = len(strava.api_paths())
    send("create", other)
    run_pending_jobs()
    assert len(strava.api_paths()) == asked
    # (Only the import jobs: the worker may also queue a periodic job when a minute turns.)
    waiting_imports = ProcrastinateJob.objects.filter(
        status="todo", task_name="integrations.tasks.sync_strava_activity"
    )
    assert waiting_imports.count() == 2

    for waiting in waiting_imports:
        _time_passes(waiting.id)
    run_pending_jobs()
    assert set(StravaActivity.objects.values_list("strava_id", "state")) == {(run, "awarded"), (other, "awarded")}
    assert total_xp(player) == 3000 + 600


def test_a_used_up_window_seen_in_the_headers_makes_the_next_job_wait(strava: FakeStrava, connected: int, player):
    strava.usage = [199, 500]  # the next answer says 200 of 200 used
    first = strava.add_activity(ATHLETE)
    send("create", first)
    run_pending_jobs()
    assert StravaActivity.objects.get(strava_id=first).state == "awarded"  # that answer was fine

    second = strava.add_activity(ATHLETE)
    asked = len(strava.api_paths())
    send("create", second)
    run_pending_jobs()
    assert len(strava.api_paths()) == asked
    waiting = _job(second)
    assert waiting.status == "todo" and waiting.scheduled_at is not None and waiting.scheduled_at.minute % 15 == 0


def test_the_daily_limit_waits_until_midnight_utc(strava: FakeStrava, connected: int):
    strava.usage = [10, 1999]
    send("create", strava.add_activity(ATHLETE))
    run_pending_jobs()
    second = strava.add_activity(ATHLETE)
    send("create", second)
    run_pending_jobs()
    waiting = _job(second)
    assert waiting.scheduled_at is not None
    assert (waiting.scheduled_at.hour, waiting.scheduled_at.minute) == (0, 0)


@pytest.mark.parametrize("failure", ["5xx", "slow", "garbage"])
def test_strava_errors_and_slow_answers_are_retried_with_backoff(strava: FakeStrava, connected: int, player, failure):
    strava.slow_seconds = 2.5  # the client gives up after STRAVA_TIMEOUT_SECONDS (1 s in tests)
    run = strava.add_activity(ATHLETE)
    strava.fail(failure)
    send("create", run)
    before = datetime.now(UTC)
    run_pending_jobs()
    job = _job(run)
    assert job.status == "todo" and job.attempts == 1
    assert job.scheduled_at is not None
    assert timedelta(seconds=20) < job.scheduled_at - before < timedelta(seconds=40)  # 30 s first
    assert not XPEntry.objects.exists()

    _time_passes(job.id)
    run_pending_jobs()
    assert StravaActivity.objects.get(strava_id=run).state == "awarded"


def test_an_expired_token_is_refreshed_and_stored(strava: FakeStrava, player, player_client: APIClient):
    strava.token_ttl = 60  # expires within the refresh margin: the first call refreshes
    connect(player_client, strava, ATHLETE)
    old = StravaConnection.objects.get(user=player)
    old_token = old.access_token
    strava.token_ttl = 6 * 3600

    run = strava.add_activity(ATHLETE)
    send("create", run)
    run_pending_jobs()

    assert strava.requests.count(("POST", "/oauth/token")) == 2  # the code exchange, then one refresh
    fresh = StravaConnection.objects.get(user=player)
    assert fresh.access_token != old_token
    assert fresh.access_token in strava.tokens  # the new one is what Strava knows
    assert old_token not in strava.tokens
    assert crypto.decrypt(fresh.refresh_token_encrypted) in strava.refresh_tokens
    assert fresh.expires_at > old.expires_at
    assert StravaActivity.objects.get(strava_id=run).state == "awarded"


def test_a_refused_refresh_token_means_access_was_revoked(strava: FakeStrava, player, player_client: APIClient):
    strava.token_ttl = 60
    connect(player_client, strava, ATHLETE)
    strava.revoke(ATHLETE)
    send("create", strava.add_activity(ATHLETE))
    run_pending_jobs()
    assert not StravaConnection.objects.exists()
    assert not XPEntry.objects.exists()


def test_a_refused_refresh_during_the_backfill_forgets_the_link(strava: FakeStrava, player, player_client: APIClient):
    strava.token_ttl = 60
    connect(player_client, strava, ATHLETE)
    strava.revoke(ATHLETE)
    assert player_client.post("/api/v1/integrations/strava/backfill/").status_code == 202
    run_pending_jobs()
    assert not StravaConnection.objects.exists()
