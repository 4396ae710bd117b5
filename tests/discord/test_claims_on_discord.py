"""Claims on Discord: /log above the threshold is held (ephemeral answer), the review channel gets
a message with Approve/Reject buttons, an eligible member's click counts as their vote, an
ineligible one gets an ephemeral reason, and the message follows the count and the outcome."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from claims.models import Claim, ClaimVote
from core.utils.dates import utc_now
from tests.discord.conftest import button, command, discord_user
from tests.jobs import run_pending_jobs
from users.models import CustomUser
from users.tests.factories import PlayerFactory
from xp.models import UserProfile, XPEntry

CHANNEL = "900000000000000001"
ALICE = "111111111111111111"
REVIEWERS = ["333333333333333331", "333333333333333332", "333333333333333333"]
NEWCOMER = "444444444444444444"


def log(units, activity="running"):  # type: ignore[no-untyped-def]
    options = [{"name": "activity", "type": 3, "value": activity}, {"name": "units", "type": 10, "value": units}]
    return command("log", options, user=discord_user(ALICE))


def member(discord_id: str, *, days: int = 30) -> CustomUser:
    user = PlayerFactory(discord_id=discord_id)
    CustomUser.objects.filter(pk=user.pk).update(date_joined=utc_now() - timedelta(days=days))
    return user


@pytest.mark.django_db(transaction=True)
def test_log_above_the_threshold_is_held_and_button_votes_decide_it(interactions, discord, settings):
    settings.DISCORD_REVIEW_CHANNEL_ID = CHANNEL
    response = interactions.post(log(400, activity="cycling"))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["flags"] == 64  # only the player sees it
    claim = Claim.objects.get()
    assert f"claim #{claim.pk}" in data["embeds"][0]["description"] and "proof" in data["embeds"][0]["description"]
    assert claim.xp == 60_000 and claim.state == "pending" and not XPEntry.objects.exists()

    run_pending_jobs(["discord"])
    posted = discord.requests_to("POST", f"/api/channels/{CHANNEL}/messages")
    assert len(posted) == 1
    buttons = posted[0].body["components"][0]["components"]
    assert [b["custom_id"] for b in buttons] == [f"claim:{claim.pk}:approve", f"claim:{claim.pk}:reject"]
    claim.refresh_from_db()
    assert claim.discord_message_id == "500000000000000002"

    member(NEWCOMER, days=0)
    refused = interactions.post(button(f"claim:{claim.pk}:approve", user=discord_user(NEWCOMER)))
    assert refused.json()["data"]["flags"] == 64 and "too new" in refused.json()["data"]["embeds"][0]["description"]
    own = interactions.post(button(f"claim:{claim.pk}:approve", user=discord_user(ALICE)))
    assert "your own claim" in own.json()["data"]["embeds"][0]["description"]
    assert not ClaimVote.objects.exists()

    for i, discord_id in enumerate(REVIEWERS, start=1):
        member(discord_id)
        answer = interactions.post(button(f"claim:{claim.pk}:approve", user=discord_user(discord_id)))
        assert answer.status_code == 200 and answer.json()["type"] == 7  # the message itself is updated
        votes = next(f for f in answer.json()["data"]["embeds"][0]["fields"] if f["name"] == "Votes")
        assert votes["value"].startswith(f"✅ {i}")
    final = answer.json()["data"]
    assert final["components"] == []  # decided: no more buttons
    assert any(f["name"] == "Outcome" and f["value"].startswith("approved") for f in final["embeds"][0]["fields"])
    alice = CustomUser.objects.get(discord_id=ALICE)
    assert UserProfile.objects.get(user=alice).total_xp == 60_000
    assert XPEntry.objects.filter(user=alice).count() == 1

    run_pending_jobs(["discord"])
    edits = discord.requests_to("PATCH", f"/api/channels/{CHANNEL}/messages/500000000000000002")
    assert edits and edits[-1].body["components"] == []
    with connection.cursor() as cursor:  # the next (non-transactional) tests expect an empty queue
        cursor.execute("TRUNCATE procrastinate_jobs CASCADE")


@pytest.mark.django_db(transaction=True)
def test_claims_are_announced_and_web_votes_update_the_review_message(discord, settings):
    """claim_submitted and claim_decided reach the announcement channels (names escaped), and
    votes cast through the web API edit the review channel's message: the count, then the outcome."""
    from community.models import AnnouncementChannel
    from tests.claims.helpers import claim_running, client_for, reviewer, vote
    from tests.discord.conftest import CHANNEL_ID, GUILD_ID

    settings.DOMAIN_EVENT_CONSUMERS = ["community.events.handle_event"]
    settings.DISCORD_REVIEW_CHANNEL_ID = CHANNEL
    AnnouncementChannel.objects.create(guild_id=GUILD_ID, channel_id=CHANNEL_ID, claims=True, members_only=False)
    AnnouncementChannel.objects.create(guild_id="300000000000000002", channel_id="400000000000000002")  # not opted in
    alice = PlayerFactory(discord_id=ALICE, display_name="Al *ice* @everyone")
    claim = claim_running(client_for(alice), 60)
    run_pending_jobs()
    [held] = discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")
    text = held.body["embeds"][0]["description"]
    assert text.startswith("**Al \\*ice\\* \\@everyone** claims 60 km of Running (18,000 XP)"), text
    assert "above review threshold" in text and held.body["allowed_mentions"] == {"parse": []}
    assert not discord.requests_to("POST", "/api/channels/400000000000000002/messages")
    [posted] = discord.requests_to("POST", f"/api/channels/{CHANNEL}/messages")
    assert posted.body["embeds"][0]["title"] == f"Claim #{claim['id']} by Al \\*ice\\* \\@everyone"
    message = f"/api/channels/{CHANNEL}/messages/500000000000000002"

    judges = [reviewer() for _ in range(3)]
    assert vote(judges[0], claim["id"], "approve").status_code == 201
    run_pending_jobs()
    [edit] = discord.requests_to("PATCH", message)
    fields = {f["name"]: f["value"] for f in edit.body["embeds"][0]["fields"]}
    assert fields["Votes"] == "✅ 1 · ❌ 0" and edit.body["components"]  # still open: buttons stay
    for judge in judges[1:]:
        assert vote(judge, claim["id"], "approve").status_code == 201
    run_pending_jobs()
    final = discord.requests_to("PATCH", message)[-1].body
    fields = {f["name"]: f["value"] for f in final["embeds"][0]["fields"]}
    assert fields["Votes"] == "✅ 3 · ❌ 0" and fields["Outcome"] == "approved (community)"
    assert final["components"] == []
    decided = discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")[-1].body["embeds"][0]
    assert decided["title"] == f"Claim #{claim['id']} approved"
    assert "was approved by the community: **+18,000 XP**" in decided["description"]

    second = claim_running(client_for(alice), 70)
    staff = reviewer(is_staff=True)
    answer = client_for(staff).post(
        f"/api/v1/claims/{second['id']}/decision/", {"verdict": "reject", "reason": "no"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    run_pending_jobs()
    rejected = discord.requests_to("POST", f"/api/channels/{CHANNEL_ID}/messages")[-1].body["embeds"][0]
    assert rejected["title"] == f"Claim #{second['id']} rejected"
    assert "was rejected by a moderator: no XP" in rejected["description"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE procrastinate_jobs CASCADE")
