"""Local development only: a way in for a demo player without Discord.

Prints a session cookie (for a browser or curl) and an app token pair (Bearer) for USERNAME.
It refuses to run unless DEBUG is on, so it cannot exist in production (settings/production.py
turns DEBUG off, and `make run`'s server never needs it).
"""

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError

from core.services import tokens
from users.models import CustomUser

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


class Command(BaseCommand):
    help = "DEBUG only: print a session cookie and an app token for a (demo) player, e.g. `dev_token ada`."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username", help="a player, e.g. one of the demo players: ada, linus, grace, ken, margaret")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("dev_token works only with DEBUG on (local development); production has no such way in.")
        user = CustomUser.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active player {options['username']!r} (run `make demo` for the demo players)")
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = SESSION_BACKEND
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        pair = tokens.issue_pair(user)
        self.stdout.write(f"player: {user.username} (id {user.pk})")
        self.stdout.write(f"session cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}")
        self.stdout.write(
            f"  curl -b '{settings.SESSION_COOKIE_NAME}={session.session_key}' http://127.0.0.1:8000/api/v1/user/profile/"
        )
        self.stdout.write(f"access token (Bearer, {pair['expires_in']} s): {pair['access']}")
        self.stdout.write(
            f"  curl -H 'Authorization: Bearer {pair['access']}' http://127.0.0.1:8000/api/v1/user/profile/"
        )
        self.stdout.write(f"refresh token: {pair['refresh']}")
