"""Local development only: a way in for a demo player without Discord.

Prints a session cookie (for a browser or curl) and an app token pair (Bearer) for USERNAME. The
access token lasts ``--hours`` (12 by default, so a first afternoon needs no refresh; production
tokens last JWT_ACCESS_TTL_SECONDS, 15 minutes), and the refresh call is printed too. The URLs use
``PORT`` (as `make run` does). It refuses to run unless DEBUG is on, so it cannot exist in
production (settings/production.py turns DEBUG off, and `make run`'s server never needs it).
"""

import os
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.management.base import BaseCommand, CommandError

from core.services.accounts import tokens
from users.models import CustomUser

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


class Command(BaseCommand):
    help = "DEBUG only: print a session cookie and an app token for a (demo) player, e.g. `dev_token ada`."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("username", help="a player, e.g. one of the demo players: ada, linus, grace, ken, margaret")
        parser.add_argument(
            "--hours", type=int, default=12, help="how long the access token lasts (local use; default 12)"
        )

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
        hours = options["hours"]
        if not isinstance(hours, int) or not 1 <= hours <= 24 * 30:
            raise CommandError("--hours is 1 to 720")
        pair = tokens.issue_pair(user, access_ttl=hours * 3600)
        base = f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"
        self.stdout.write(f"player: {user.username} (id {user.pk})")
        self.stdout.write(f"session cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}")
        self.stdout.write(
            f"  curl -b '{settings.SESSION_COOKIE_NAME}={session.session_key}' {base}/api/v1/user/profile/"
        )
        self.stdout.write(f"access token (Bearer, {pair['expires_in']} s = {hours} h): {pair['access']}")
        self.stdout.write(f"  curl -H 'Authorization: Bearer {pair['access']}' {base}/api/v1/user/profile/")
        self.stdout.write(f"refresh token: {pair['refresh']}")
        self.stdout.write(
            f"  when the access token expires: curl -X POST -H 'Content-Type: application/json' "
            f"""-d '{{"refresh": "{pair["refresh"]}"}}' {base}/api/v1/auth/token/refresh/"""
        )
        self.stdout.write(f"  or run `manage.py dev_token {user.username}` again")
