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
