"""Load a few demo players with XP, and events and dungeons on both ladders (idempotent:
running it again adds nothing)."""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand

from core.services.xp import award_xp
from core.utils.dates import utc_now
from layers.models import Event
from users.models import CustomUser

DEMO = {
    "ada": [("running", "5.3"), ("pushups", "120"), ("coding", "90")],
    "linus": [("coding", "240"), ("hack_quest", "2"), ("walking", "3")],
    "grace": [("swimming", "2.5"), ("study", "60"), ("squats", "200")],
    "ken": [("cycling", "40"), ("steps", "12000")],
    "margaret": [("hack_quest", "4"), ("coding", "300"), ("running", "10")],
}

# (name, kind, mode, required layer, starts in days, lasts days, capacity, description)
EVENTS = [
    ("Sunday Long Run", Event.EVENT, "reality", "RL0", -1, 3, None, "Everyone welcome: log any run this weekend."),
    (
        "Iron Stairs Dungeon",
        Event.DUNGEON,
        "reality",
        "RL1",
        1,
        7,
        20,
        "Stair climbs and squats for the Emotion layer.",
    ),
    ("Ultra Trail Expedition", Event.DUNGEON, "reality", "RL2", 7, 14, 10, "For the Flow layer: a week of trails."),
    ("Capture the Flag Night", Event.EVENT, "cyber", "CL0", 0, 2, 50, "A friendly CTF for every coder."),
    ("DeepNet Crypto Dungeon", Event.DUNGEON, "cyber", "CL1", 2, 5, 12, "Crack the cipher chain below the surface."),
    ("Dark-Code Boss Raid", Event.DUNGEON, "cyber", "CL2", 10, 3, 5, "Hard problems for the Dark-Code layer."),
]


class Command(BaseCommand):
    help = "Create demo players with XP through the XP service (safe to run again)."

    def handle(self, *args: object, **options: object) -> None:
        for username, activities in DEMO.items():
            user = CustomUser.objects.filter(username=username).first()
            if user is None:
                user = CustomUser.objects.create_user(username, display_name=username.capitalize())
                user.set_unusable_password()
                user.save(update_fields=["password"])
            for i, (activity, units) in enumerate(activities):
                award_xp(
                    user=user, activity=activity, units=Decimal(units), source="import", idempotency_key=f"demo-{i}"
                )
        now = utc_now().replace(minute=0, second=0, microsecond=0)
        for name, kind, mode, layer, start, days, capacity, description in EVENTS:
            starts_at = now + timedelta(days=start)
            Event.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "mode": mode,
                    "required_layer": layer,
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(days=days),
                    "capacity": capacity,
                    "description": description,
                },
            )
        self.stdout.write(
            self.style.SUCCESS(f"demo players ready: {', '.join(DEMO)}; {len(EVENTS)} events and dungeons")
        )
