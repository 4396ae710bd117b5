"""Load a few demo players with XP (idempotent: running it again adds nothing)."""

from decimal import Decimal

from django.core.management.base import BaseCommand

from core.services.xp import award_xp
from users.models import CustomUser

DEMO = {
    "ada": [("running", "5.3"), ("pushups", "120"), ("coding", "90")],
    "linus": [("coding", "240"), ("hack_quest", "2"), ("walking", "3")],
    "grace": [("swimming", "2.5"), ("study", "60"), ("squats", "200")],
    "ken": [("cycling", "40"), ("steps", "12000")],
    "margaret": [("hack_quest", "4"), ("coding", "300"), ("running", "10")],
}


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
        self.stdout.write(self.style.SUCCESS(f"demo players ready: {', '.join(DEMO)}"))
