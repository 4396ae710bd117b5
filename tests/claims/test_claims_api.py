"""Claims through the API: implausible reports held (202, no XP), votes, quorum, exactly-once
approval, refusals with codes, the hand-over to moderators and their decisions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from claims.models import Claim, ClaimVote
from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY
from core.utils.dates import utc_now
from events.models import DomainEvent
from tests.claims.helpers import ADD, claim_running, client_for, reviewer, vote
from users.models import ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, UserProfile, XPEntry

pytestmark = pytest.mark.django_db


def total_xp(user) -> int:  # type: ignore[no-untyped-def]
    profile = UserProfile.objects.filter(user=user).first()
    return profile.total_xp if profile else 0


def test_activities_show_review_above():
    body = APIClient().get("/api/v1/activities/").json()
    running = next(a for a in body["results"] if a["key"] == "running")
    assert Decimal(running["review_above"]) == Decimal("25")


def test_a_report_above_review_above_is_held_with_no_xp(player_client, player):
    above = ActivityType.objects.get(key="running").review_above
    response = player_client.post(
        ADD,
        {"activity": "running", "units": str(above + 1), "note": "ultra", "proof_url": "https://strava.example/1"},
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending_review" and body["duplicate"] is False
    claim = body["claim"]
    assert claim["activity"] == "running" and claim["state"] == "pending" and claim["xp"] == 300 * 26
    assert claim["reason"] == "above_review_threshold" and claim["proof_url"] == "https://strava.example/1"
    assert (claim["approvals"], claim["rejections"]) == (0, 0)
    assert XPEntry.objects.count() == 0 and total_xp(player) == 0
    assert DomainEvent.objects.filter(type="claim_submitted", user=player).count() == 1
    mine = player_client.get("/api/v1/claims/").json()["results"]
    assert [c["id"] for c in mine] == [claim["id"]]


def test_a_report_at_review_above_is_awarded_at_once(player_client):
    response = player_client.post(ADD, {"activity": "running", "units": 25}, format="json")
    assert response.status_code == 201 and response.json()["awarded_xp"] == 7500


def test_a_retried_held_report_answers_the_same_claim(player_client):
    first = player_client.post(ADD, {"activity": "running", "units": 60}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = player_client.post(ADD, {"activity": "running", "units": 60}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 202
    assert again.json()["claim"]["id"] == first.json()["claim"]["id"] and again.json()["duplicate"] is True
    other = player_client.post(ADD, {"activity": "running", "units": 61}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert Claim.objects.count() == 1


def test_proof_must_be_https(player_client):
    response = player_client.post(
        ADD, {"activity": "running", "units": 60, "proof_url": "http://example.com/x"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_proof_url"
    assert Claim.objects.count() == 0


def test_a_service_key_report_above_the_threshold_is_held_too(api_client):
    _, raw = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])
    response = api_client.post(
        ADD,
        {"activity": "cycling", "units": 400, "discord_id": "123456789012345678"},
        format="json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )
    assert response.status_code == 202, response.content
    assert response.json()["claim"]["xp"] == 60_000 and XPEntry.objects.count() == 0


def test_far_above_the_players_usual_is_held(player_client):
    for _ in range(3):
        assert player_client.post(ADD, {"activity": "running", "units": 4}, format="json").status_code == 201
    response = player_client.post(ADD, {"activity": "running", "units": 20}, format="json")  # 5x the usual
    assert response.status_code == 202 and response.json()["claim"]["reason"] == "far_above_usual"
    response = player_client.post(ADD, {"activity": "running", "units": 12}, format="json")  # 3x: believed
    assert response.status_code == 201


def test_a_day_far_above_any_humans_is_held(player_client):
    for _ in range(2):
        assert player_client.post(ADD, {"activity": "running", "units": 20}, format="json").status_code == 201
    response = player_client.post(ADD, {"activity": "running", "units": 15}, format="json")  # 55 km > 2 x 25
    assert response.status_code == 202 and response.json()["claim"]["reason"] == "day_above_plausible"


def test_three_eligible_approvals_award_the_claim_exactly_once(player_client, player):
    claim = claim_running(player_client, 60)
    reviewers = [reviewer() for _ in range(4)]
    first = vote(reviewers[0], claim["id"], "approve", reason="saw the GPS track")
    assert first.status_code == 201 and first.json()["decided"] is False
    assert first.json()["claim"]["approvals"] == 1
    assert vote(reviewers[1], claim["id"], "approve").json()["decided"] is False
    third = vote(reviewers[2], claim["id"], "approve")
    assert third.status_code == 201 and third.json()["decided"] is True
    assert third.json()["claim"]["state"] == "approved"
    assert total_xp(player) == 18_000
    entry = XPEntry.objects.get(user=player)
    assert entry.idempotency_key == f"claim:{claim['id']}" and entry.source == "claim" and entry.xp == 18_000
    late = vote(reviewers[3], claim["id"], "approve")
    assert late.status_code == 409 and late.json()["code"] == "claim_decided"
    assert XPEntry.objects.filter(user=player).count() == 1
    # every matching vote earned the reviewer reward
    for r in reviewers[:3]:
        assert XPEntry.objects.filter(user=r, activity__key=COMMUNITY_REVIEW_ACTIVITY).count() == 1
    assert DomainEvent.objects.filter(type="claim_decided", user=player).count() == 1
    mine = player_client.get("/api/v1/claims/").json()["results"][0]
    assert mine["state"] == "approved" and mine["approvals"] == 3 and mine["entry"] == entry.pk
    assert "votes" not in mine  # who voted stays private


def test_three_rejections_reject_with_no_xp(player_client, player):
    claim = claim_running(player_client, 60)
    approver = reviewer()
    vote(approver, claim["id"], "approve")
    for _ in range(3):
        response = vote(reviewer(), claim["id"], "reject", reason="no proof")
    assert response.json()["claim"]["state"] == "rejected"
    assert XPEntry.objects.filter(user=player).count() == 0 and total_xp(player) == 0
    assert ClaimVote.objects.get(reviewer=approver).matched is False
    assert not XPEntry.objects.filter(user=approver).exists()  # no reward against the outcome


def test_approvals_need_more_than_twice_the_rejections(player_client, player):
    claim = claim_running(player_client, 60)
    vote(reviewer(), claim["id"], "reject")
    vote(reviewer(), claim["id"], "reject")
    for _ in range(4):
        assert vote(reviewer(), claim["id"], "approve").json()["decided"] is False  # 4 vs 2: not > 2x
    assert vote(reviewer(), claim["id"], "approve").json()["decided"] is True  # 5 vs 2
    assert total_xp(player) == 18_000


def test_own_claim_and_ineligible_reviewers_are_refused_with_codes(player_client, player, settings):
    claim = claim_running(player_client, 60)
    PlayerFactory(username="claimant-peer")
    own = vote(player, claim["id"], "approve")
    assert own.status_code == 403 and own.json()["code"] == "own_claim"
    new = vote(PlayerFactory(), claim["id"], "approve")  # joined today
    assert new.status_code == 403 and new.json()["code"] == "reviewer_too_new"
    # a reviewer below the claimant's layer
    UserProfile.objects.filter(user=player).update(reality_xp=50_000, total_xp=50_000)
    low = vote(reviewer(), claim["id"], "approve")
    assert low.status_code == 403 and low.json()["code"] == "reviewer_layer_too_low"
    assert low.json()["required_layer"] != low.json()["current_layer"]
    UserProfile.objects.filter(user=player).update(reality_xp=0, total_xp=0)
    # votes per reviewer per claimant per month
    settings.REVIEW_VOTES_PER_CLAIMANT_PER_MONTH = 1
    friend = reviewer()
    assert vote(friend, claim["id"], "reject").status_code == 201
    second = claim_running(player_client, 61)
    limited = vote(friend, second["id"], "approve")
    assert limited.status_code == 403 and limited.json()["code"] == "review_limit_reached"
    twice = vote(friend, claim["id"], "approve")
    assert twice.status_code == 409 and twice.json()["code"] == "already_voted"
    unknown = vote(friend, 10**9, "approve")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_claim"
    bad = vote(friend, claim["id"], "maybe")
    assert bad.status_code == 400
    assert XPEntry.objects.filter(user=player).count() == 0


def test_reviews_list_the_claims_i_may_judge(player_client, player):
    claim = claim_running(player_client, 60)
    me = reviewer()
    listed = client_for(me).get("/api/v1/reviews/").json()["results"]
    assert [c["id"] for c in listed] == [claim["id"]]
    assert listed[0]["user"]["id"] == player.pk
    assert client_for(player).get("/api/v1/reviews/").status_code == 403  # joined today: too new
    vote(me, claim["id"], "approve")
    assert client_for(me).get("/api/v1/reviews/").json()["results"] == []  # voted already
    UserProfile.objects.update_or_create(user=player, defaults={"reality_xp": 50_000, "total_xp": 50_000})
    assert client_for(reviewer()).get("/api/v1/reviews/").json()["results"] == []  # layer below the claimant's


def test_an_undecided_claim_goes_to_the_moderators_after_72_hours(player_client, player, settings):
    claim = claim_running(player_client, 60)
    early = reviewer()
    assert vote(early, claim["id"], "approve").status_code == 201
    Claim.objects.filter(pk=claim["id"]).update(created_at=utc_now() - timedelta(hours=settings.REVIEW_HANDOVER_HOURS))
    late = reviewer()
    response = vote(late, claim["id"], "approve")
    assert response.status_code == 409 and response.json()["code"] == "claim_with_moderators"
    assert client_for(late).get("/api/v1/reviews/").json()["results"] == []
    refused = client_for(late).post(f"/api/v1/claims/{claim['id']}/decision/", {"verdict": "approve"}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_moderator"
    moderator = PlayerFactory(is_staff=True)
    decided = client_for(moderator).post(
        f"/api/v1/claims/{claim['id']}/decision/", {"verdict": "approve", "reason": "GPS checked"}, format="json"
    )
    assert decided.status_code == 200, decided.content
    assert decided.json()["state"] == "approved" and decided.json()["decided_via"] == "moderator"
    stored = Claim.objects.get(pk=claim["id"])
    assert (stored.decided_by_id, stored.decision_reason) == (moderator.pk, "GPS checked")
    assert total_xp(player) == 18_000
    again = client_for(moderator).post(f"/api/v1/claims/{claim['id']}/decision/", {"verdict": "reject"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "claim_decided"
    assert XPEntry.objects.filter(user=early, activity__key=COMMUNITY_REVIEW_ACTIVITY).count() == 1


def test_a_service_key_with_claims_moderate_decides(player_client, player, api_client):
    claim = claim_running(player_client, 60)
    _, weak = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])
    _, raw = ServiceAPIKey.objects.create_key(name="mod-bot", scopes=["claims:moderate"])
    url = f"/api/v1/claims/{claim['id']}/decision/"
    denied = api_client.post(url, {"verdict": "reject"}, format="json", HTTP_AUTHORIZATION=f"Api-Key {weak}")
    assert denied.status_code == 403 and denied.json()["code"] == "missing_scope"
    response = api_client.post(
        url, {"verdict": "reject", "reason": "fake"}, format="json", HTTP_AUTHORIZATION=f"Api-Key {raw}"
    )
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    assert XPEntry.objects.count() == 0


def test_proof_can_be_added_later_and_never_decides(player_client, player):
    claim = claim_running(player_client, 60)
    url = f"/api/v1/claims/{claim['id']}/proof/"
    response = player_client.post(url, {"proof_url": "https://www.strava.com/activities/1"}, format="json")
    assert response.status_code == 200 and response.json()["proof_url"] == "https://www.strava.com/activities/1"
    assert response.json()["state"] == "pending" and XPEntry.objects.count() == 0
    bad = player_client.post(url, {"proof_url": "javascript:alert(1)"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_proof_url"
    other = client_for(reviewer()).post(url, {"proof_url": "https://x.example/"}, format="json")
    assert other.status_code == 403 and other.json()["code"] == "not_claim_owner"


def test_reviewers_who_keep_voting_against_the_outcome_lose_eligibility(player_client, settings):
    settings.REVIEW_VOTES_PER_CLAIMANT_PER_MONTH = 10
    contrarian = reviewer()
    # above any layer the claimant reaches with these claims; the others are moderators voting
    UserProfile.objects.update_or_create(user=contrarian, defaults={"reality_xp": 10**6, "total_xp": 10**6})
    for km in (60, 61, 62):
        claim = claim_running(player_client, km)
        assert vote(contrarian, claim["id"], "reject").status_code == 201
        for _ in range(3):
            assert vote(reviewer(is_staff=True), claim["id"], "approve").status_code == 201
    claim = claim_running(player_client, 63)
    response = vote(contrarian, claim["id"], "approve")
    assert response.status_code == 403 and response.json()["code"] == "reviewer_suspended"
    # the suspension ends REVIEWER_SUSPENSION_DAYS after the last miss
    ClaimVote.objects.filter(reviewer=contrarian).update(
        decided_at=utc_now() - timedelta(days=settings.REVIEWER_SUSPENSION_DAYS, minutes=1)
    )
    assert vote(contrarian, claim["id"], "approve").status_code == 201


def test_an_erased_players_claims_are_withdrawn_and_their_texts_forgotten(player_client, player):
    from core.selectors.claims.claims import export_claims
    from core.services.claims.submission import forget_player

    claim = claim_running(player_client, 60, note="my ultra", proof_url="https://x.example/run")
    critic = reviewer()
    vote(critic, claim["id"], "reject", reason="looks fake")
    exported = export_claims(player.pk)
    assert exported["claims"][0]["note"] == "my ultra" and exported["claim_votes"] == []
    assert export_claims(critic.pk)["claim_votes"][0]["reason"] == "looks fake"
    forget_player(user=player)
    forget_player(user=critic)
    stored = Claim.objects.get(pk=claim["id"])
    assert (stored.state, stored.decided_via, stored.note, stored.proof_url) == ("rejected", "erased", "", "")
    assert ClaimVote.objects.get(reviewer=critic).reason == ""
    assert XPEntry.objects.filter(user=player).count() == 0
