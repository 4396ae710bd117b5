"""At delivery time the guard judges the address the socket really reached: a subscription made
while private targets were allowed (or whose DNS changed) gets no request in production."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.services.xp import award_xp
from events.models import WebhookDelivery
from tests.events.conftest import drain
from users.tests.factories import PlayerFactory
from xp.tests.factories import ActivityTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_job_queue")]


def test_a_loopback_target_is_refused_when_delivering_in_production(receiver, endpoint, settings):
    endpoint("level_up")  # made while private targets are allowed (tests)
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    award_xp(user=PlayerFactory(), activity=ActivityTypeFactory(), units=Decimal(300), source="web")
    drain()
    assert receiver.requests == 0
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert delivery.last_error.startswith("refused")


def test_the_connection_guard_refuses_the_peer_even_after_the_url_check(receiver):
    """The socket-level check (DNS rebinding: the name resolved to a public address when it was
    checked, to a private one when connecting) refuses on the connected peer."""
    import requests

    from core.services.events import webhooks

    session = requests.Session()
    session.trust_env = False
    session.mount("http://", webhooks._GuardedAdapter())
    with pytest.raises(webhooks.TargetRefused):
        session.post(receiver.url, data=b"{}", timeout=2)
    assert receiver.requests == 0
