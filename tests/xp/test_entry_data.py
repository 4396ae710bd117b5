from decimal import Decimal

import pytest

from api.v1.xp.serializers import EntrySerializer, entry_data
from core.services.xp import award_xp
from users.tests.factories import PlayerFactory


@pytest.mark.django_db
@pytest.mark.parametrize("units", ["5.3", "1000", "0.01", "2.50"])
def test_fast_entry_rendering_equals_the_serializer(units):
    entry = award_xp(
        user=PlayerFactory(),
        activity="running" if Decimal(units) <= 100 else "pushups",
        units=Decimal(units),
        source="web",
    ).entry
    assert entry_data(entry) == EntrySerializer(entry).data


@pytest.mark.django_db
@pytest.mark.parametrize(("activity", "units"), [("running", "5.3"), ("pushups", "3"), ("coding", "30")])
def test_the_xp_add_answer_is_exactly_what_its_serializer_renders(activity, units):
    """award_response builds the answer as a dict on the hot path: every field of
    AddXPResponseSerializer, nothing more, each already in its rendered form."""
    from api.v1.xp.serializers import ADD_XP_RESPONSE
    from api.v1.xp.views import award_response

    player = PlayerFactory()
    award = award_xp(user=player, activity=activity, units=Decimal(units), source="web")
    answer = award_response(award, player)
    assert answer == ADD_XP_RESPONSE.to_representation({**answer, "entry": award.entry})
