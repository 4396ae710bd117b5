"""Issue 22, point 7: webhook targets given as an IPv6 form that carries a non-public IPv4
(6to4, NAT64, Teredo) and unusual ports (0, well-known non-web ports) are refused."""

from __future__ import annotations

import pytest

from core.services.events import webhooks
from events.models import WebhookEndpoint
from tests.events.test_webhooks_api import key_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://[2002:7f00:1::]/hooks",  # 6to4 of 127.0.0.1
        "http://[2002:a9fe:a9fe::]/latest/meta-data/",  # 6to4 of 169.254.169.254
        "http://[2002:0a00:0001::1]/hooks",  # 6to4 of 10.0.0.1
        "http://[64:ff9b::7f00:1]/hooks",  # NAT64 of 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/hooks",  # NAT64 of 169.254.169.254
        "http://[64:ff9b:1::808:808]/hooks",  # local-use NAT64
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks",  # Teredo
        "http://[fec0::1]/hooks",  # site-local
        "http://8.8.8.8:0/hooks",
        "http://[2606:4700:4700::1111]:0/hooks",
        "http://8.8.8.8:25/hooks",
        "http://8.8.8.8:22/hooks",
    ],
)
def test_production_refuses_embedded_ipv4_forms_and_odd_ports(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client, _ = key_client("webhooks:manage")
    answer = client.post("/api/v1/webhooks/", {"url": url, "event_types": ["level_up"]}, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "webhook_target_refused"
    assert not WebhookEndpoint.objects.exists()


def test_a_change_to_port_zero_is_refused_too(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client, _ = key_client("webhooks:manage")
    made = client.post(
        "/api/v1/webhooks/", {"url": "https://8.8.8.8/hooks", "event_types": ["level_up"]}, format="json"
    )
    assert made.status_code == 201, made.content
    changed = client.patch(f"/api/v1/webhooks/{made.json()['id']}/", {"url": "https://8.8.8.8:0/hooks"}, format="json")
    assert changed.json()["code"] == "webhook_target_refused"
    assert WebhookEndpoint.objects.get().url == "https://8.8.8.8/hooks"


def test_public_forms_stay_accepted():
    for address in ("8.8.8.8", "2606:4700:4700::1111", "2002:0808:0808::1", "64:ff9b::808:808", "::ffff:8.8.8.8"):
        assert webhooks.is_public_address(address), address
    for address in ("2002:7f00:1::", "64:ff9b::a00:1", "2001::1", "::ffff:169.254.169.254"):
        assert not webhooks.is_public_address(address), address
