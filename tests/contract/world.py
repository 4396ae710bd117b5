"""A small world for the contract tests: players on both boards, an event per ladder, a
closed season, a service key with every scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import SESSION_KEY
from django.test import Client

from core.services.accounts import tokens
from core.services.xp import award_xp
from core.utils.dates import utc_now
from layers.models import Event
from seasons.models import Season
from users.models import SCOPES, CustomUser, ServiceAPIKey
from users.tests.factories import PlayerFactory


@dataclass
class World:
    player: CustomUser
    bearer: str
    session_cookie: str
    csrf_token: str
    service_key: str
    event_id: int


def make_world() -> World:
    player = PlayerFactory(discord_id="123456789012345678")
    rival = PlayerFactory(discord_id="223456789012345678")
    for who, activity, units in [
        (player, "running", Decimal("5.3")),
        (player, "pushups", Decimal(40)),
        (player, "coding", Decimal(10)),
        (rival, "running", Decimal(12)),
        (rival, "coding", Decimal(30)),
    ]:
        award_xp(user=who, activity=activity, units=units, source="web")
    Season.objects.get_or_create(
        id="2020-01",
        defaults={
            "starts_at": utc_now().replace(year=2020, month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
            "ends_at": utc_now().replace(year=2020, month=2, day=1, hour=0, minute=0, second=0, microsecond=0),
            "status": Season.CLOSED,
        },
    )
    now = utc_now()
    event = Event.objects.create(
        name="Night run",
        kind="event",
        mode="reality",
        required_layer="RL0",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=1),
        capacity=50,
    )
    Event.objects.create(
        name="Deep dive",
        kind="dungeon",
        mode="cyber",
        required_layer="CL3",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(days=2),
    )
    _, key = ServiceAPIKey.objects.create_key(name="conformance-bot", scopes=list(SCOPES))
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(player)
    browser.get("/api/v1/auth/csrf/")
    assert browser.session.get(SESSION_KEY) == str(player.pk)
    return World(
        player=player,
        bearer=tokens.issue_pair(player)["access"],
        session_cookie=browser.cookies["sessionid"].value,
        csrf_token=browser.cookies["csrftoken"].value,
        service_key=key,
        event_id=event.pk,
    )
