"""Install the default activity catalogue and the level table from core.constants.

The values are copied here (not imported at run time) so later edits to the constants do not
rewrite history; a test checks that the level table equals core.constants.levels.
"""

from decimal import Decimal
from math import isqrt

from django.db import migrations

CATALOGUE = (
    ("pushups", "Push-ups", "reality", "repetition", "10", "1000", "3000"),
    ("squats", "Squats", "reality", "repetition", "5", "1000", "3000"),
    ("running", "Running", "reality", "km", "300", "100", "150"),
    ("walking", "Walking", "reality", "km", "200", "100", "150"),
    ("cycling", "Cycling", "reality", "km", "150", "400", "600"),
    ("swimming", "Swimming", "reality", "km", "500", "30", "40"),
    ("steps", "Steps", "reality", "step", "0.2", "100000", "150000"),
    ("coding", "Coding", "cyber", "minute", "5", "720", "960"),
    ("study", "Study", "cyber", "minute", "3", "720", "960"),
    ("hack_quest", "Hack quest", "cyber", "quest", "250", "5", "20"),
)
MAX_LEVEL = 10_000


def install(apps, schema_editor):
    ActivityType = apps.get_model("xp", "ActivityType")
    Level = apps.get_model("xp", "Level")
    for key, name, mode, unit, rate, per_entry, cap in CATALOGUE:
        ActivityType.objects.update_or_create(
            key=key,
            defaults={
                "name": name,
                "mode": mode,
                "unit": unit,
                "xp_per_unit": Decimal(rate),
                "max_units_per_entry": Decimal(per_entry),
                "daily_unit_cap": Decimal(cap) if cap else None,
                "is_active": True,
            },
        )
    Level.objects.bulk_create(
        [Level(level=n, min_xp=0 if n == 1 else isqrt(10_000 * n**3)) for n in range(1, MAX_LEVEL + 1)],
        batch_size=2000,
        ignore_conflicts=True,
    )


def uninstall(apps, schema_editor):
    apps.get_model("xp", "Level").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("xp", "0001_initial")]
    operations = [migrations.RunPython(install, uninstall)]
