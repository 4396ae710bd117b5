"""Racing votes on one claim, against PostgreSQL: the approval awards exactly once and no vote is
lost."""

from __future__ import annotations

from collections import Counter

import pytest

from claims.models import Claim, ClaimVote
from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY
from tests.claims.helpers import claim_running, client_for, reviewer
from tests.concurrency import run_at_once
from users.tests.factories import PlayerFactory
from xp.models import UserProfile, XPEntry

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 30


def race(claim_id: int, reviewers: list) -> Counter:  # type: ignore[type-arg]
    clients = [client_for(r) for r in reviewers]

    def cast(i: int) -> int:
        response = clients[i].post(f"/api/v1/claims/{claim_id}/votes/", {"verdict": "approve"}, format="json")
        return response.status_code if response.status_code == 201 else response.json()["code"]

    return Counter(run_at_once(cast, RACERS))


def test_thirty_racing_approvals_award_the_claim_exactly_once():
    player = PlayerFactory()
    claim = claim_running(client_for(player), 60)
    reviewers = [reviewer() for _ in range(RACERS)]
    outcome = race(claim["id"], reviewers)
    assert outcome == Counter({201: 3, "claim_decided": RACERS - 3})
    stored = Claim.objects.get(pk=claim["id"])
    assert (stored.state, stored.approvals, stored.rejections) == ("approved", 3, 0)
    entries = XPEntry.objects.filter(user=player)
    assert entries.count() == 1 and entries.get().idempotency_key == f"claim:{claim['id']}"
    assert UserProfile.objects.get(user=player).total_xp == 18_000
    assert ClaimVote.objects.filter(claim_id=claim["id"]).count() == 3
    assert XPEntry.objects.filter(activity__key=COMMUNITY_REVIEW_ACTIVITY).count() == 3


def test_no_racing_vote_is_lost_before_the_quorum(settings):
    settings.REVIEW_QUORUM = RACERS
    player = PlayerFactory()
    claim = claim_running(client_for(player), 60)
    outcome = race(claim["id"], [reviewer() for _ in range(RACERS)])
    assert outcome == Counter({201: RACERS})
    stored = Claim.objects.get(pk=claim["id"])
    assert (stored.state, stored.approvals) == ("approved", RACERS)  # decided by the 30th, exactly once
    assert XPEntry.objects.filter(user=player).count() == 1
    assert UserProfile.objects.get(user=player).total_xp == 18_000
