"""The entry an award returns is the row the statement wrote, as the ORM would load it."""

from decimal import Decimal

import pytest
from django.db.models.base import ModelState

from core.services.xp import award_xp
from core.services.xp.store import ledger_entry
from users.tests.factories import PlayerFactory
from xp.models import ActivityType, XPEntry

pytestmark = pytest.mark.django_db


def _columns(entry: XPEntry) -> dict[str, object]:
    return {f.attname: getattr(entry, f.attname) for f in XPEntry._meta.concrete_fields}


def test_the_returned_entry_equals_the_stored_row_and_is_saved_state(django_assert_num_queries):
    award = award_xp(user=PlayerFactory(), activity="running", units=Decimal("2.5"), source="web", note="a&b")
    stored = XPEntry.objects.get(pk=award.entry.pk)
    assert _columns(award.entry) == _columns(stored)
    assert award.entry._state.adding is False and award.entry._state.db == "default"
    with django_assert_num_queries(0):  # every column set and the activity cached: nothing loads
        assert award.entry.activity.key == "running" and award.entry.note == "a&b"


def test_a_ledger_entry_needs_every_column():
    activity = ActivityType.objects.get(key="running")
    with pytest.raises(TypeError, match="missing"):
        ledger_entry(activity=activity, id=1, user_id=1)


def test_a_ledger_entry_has_its_own_state():
    activity = ActivityType.objects.get(key="running")
    stored = (
        XPEntry.objects.filter(pk__gt=0).first()
        or award_xp(user=PlayerFactory(), activity="running", units=Decimal(1), source="web").entry
    )
    columns = {k: v for k, v in _columns(stored).items() if k != "activity_id"}
    one, two = ledger_entry(activity=activity, **columns), ledger_entry(activity=activity, **columns)
    assert isinstance(one._state, ModelState) and one._state is not two._state
    assert one == two == stored  # a model's equality: same class, same primary key
