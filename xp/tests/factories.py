from decimal import Decimal

import factory

from xp.models import ActivityType


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    """An activity with 1 XP per unit and generous limits, so tests can hit exact XP values."""

    class Meta:
        model = ActivityType
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"test_activity_{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("_", " ").title())
    mode = "reality"
    unit = "point"
    xp_per_unit = Decimal("1")
    max_units_per_entry = Decimal("1000000")
    daily_unit_cap = None
    is_active = True
