"""Trusted awards: what the game awards itself (quest rewards, approved claims, reviewer rewards)."""

from decimal import Decimal

import pytest

from core.constants.activities import COMMUNITY_REVIEW_ACTIVITY, QUEST_REWARD_ACTIVITY
from core.exceptions import ActivityNotReportable
from core.services.xp import award_xp
from users.tests.factories import PlayerFactory
from xp.models import DailyUsage, UserProfile, XPEntry

pytestmark = pytest.mark.django_db


def test_a_system_activity_is_refused_to_a_player_and_not_listed(player_client, player):
    answer = player_client.post(
        "/api/v1/xp/add/", {"activity": QUEST_REWARD_ACTIVITY["reality"], "units": 500}, format="json"
    )
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "activity_not_reportable"
    assert not XPEntry.objects.filter(user=player).exists()
    keys = {a["key"] for a in player_client.get("/api/v1/activities/?page_size=100").json()["results"]}
    assert COMMUNITY_REVIEW_ACTIVITY not in keys and "running" in keys


def test_an_untrusted_award_of_a_system_activity_is_refused():
    with pytest.raises(ActivityNotReportable):
        award_xp(user=PlayerFactory(), activity=COMMUNITY_REVIEW_ACTIVITY, units=Decimal(5), source="web")


def test_a_trusted_award_skips_the_entry_maximum_and_the_daily_cap_and_uses_no_daily_usage():
    user = PlayerFactory()
    award_xp(user=user, activity="running", units=Decimal(100), source="web")
    award_xp(user=user, activity="running", units=Decimal(50), source="web")  # the whole cap
    award = award_xp(
        user=user, activity="running", units=Decimal(120), source="claim", trusted=True, idempotency_key="claim:1"
    )
    assert award.entry.xp == 36_000
    reward = award_xp(
        user=user, activity=QUEST_REWARD_ACTIVITY["reality"], units=Decimal(5000), source="quest", trusted=True
    )
    assert reward.entry.xp == 5000
    assert UserProfile.objects.get(user=user).total_xp == 45_000 + 36_000 + 5000
    assert DailyUsage.objects.get(user=user).units == Decimal(150)
    again = award_xp(
        user=user, activity="running", units=Decimal(120), source="claim", trusted=True, idempotency_key="claim:1"
    )
    assert again.duplicate and XPEntry.objects.filter(user=user).count() == 4
