"""/api/v1/webhooks/: service keys with webhooks:manage manage their own subscriptions; bad input
is a 400 with a code and changes nothing; SSRF targets are refused outside development."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.services.events import webhooks
from events.models import WebhookEndpoint
from users.models import ServiceAPIKey

pytestmark = pytest.mark.django_db


def key_client(*scopes: str) -> tuple[APIClient, ServiceAPIKey]:
    api_key, raw = ServiceAPIKey.objects.create_key(name="integration", scopes=list(scopes))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client, api_key


def test_create_list_read_change_and_delete_a_subscription():
    client, api_key = key_client("webhooks:manage")
    answer = client.post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9000/hooks", "event_types": ["level_up", "layer_up"], "description": "bot"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["level_up", "layer_up"] and body["is_active"] is True and body["disabled"] is False
    hook = WebhookEndpoint.objects.get()
    assert hook.owner_key_id == api_key.pk and hook.secret == body["secret"]

    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [h["id"] for h in listed] == [hook.pk] and "secret" not in listed[0]
    assert client.get(f"/api/v1/webhooks/{hook.pk}/").json()["url"] == "http://127.0.0.1:9000/hooks"

    answer = client.patch(
        f"/api/v1/webhooks/{hook.pk}/", {"event_types": ["xp_awarded"], "is_active": False}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["event_types"] == ["xp_awarded"] and answer.json()["is_active"] is False
    assert client.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert client.get(f"/api/v1/webhooks/{hook.pk}/").status_code == 404


def test_switching_a_disabled_endpoint_on_again_clears_its_failure_state():
    from core.utils.dates import utc_now

    client, api_key = key_client("webhooks:manage")
    hook = WebhookEndpoint.objects.create(
        url="http://127.0.0.1:9/h",
        event_types=["level_up"],
        owner_key=api_key,
        disabled_at=utc_now(),
        failing_since=utc_now(),
    )
    assert client.get(f"/api/v1/webhooks/{hook.pk}/").json()["disabled"] is True
    answer = client.patch(f"/api/v1/webhooks/{hook.pk}/", {"is_active": True}, format="json")
    assert answer.json()["disabled"] is False and answer.json()["failing_since"] is None


def test_a_key_without_the_scope_a_player_and_an_anonymous_caller_are_refused(player_client):
    client, _ = key_client("xp:write", "profile:read")
    body = {"url": "http://127.0.0.1:9000/hooks", "event_types": ["level_up"]}
    answer = client.post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "missing_scope"
    assert client.get("/api/v1/webhooks/").status_code == 403
    answer = player_client.post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 403 and answer.json()["code"] == "service_key_required"
    assert APIClient().get("/api/v1/webhooks/").status_code == 401
    assert not WebhookEndpoint.objects.exists()


def test_keys_see_only_their_own_subscriptions():
    mine, my_key = key_client("webhooks:manage")
    other, _ = key_client("webhooks:manage")
    hook = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/h", event_types=["level_up"], owner_key=my_key)
    assert other.get("/api/v1/webhooks/").json()["results"] == []
    assert other.get(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    assert other.delete(f"/api/v1/webhooks/{hook.pk}/").status_code == 404
    assert other.get("/api/v1/webhooks/99999999999999999999999/").status_code == 404
    assert mine.get(f"/api/v1/webhooks/{hook.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://127.0.0.1/x", "event_types": ["level_up"]}, "invalid_webhook_url"),
        ({"url": "not a url", "event_types": ["level_up"]}, "invalid_webhook_url"),
        ({"url": "http:///nohost", "event_types": ["level_up"]}, "invalid_webhook_url"),
        ({"url": "http://user:pw@127.0.0.1/x", "event_types": ["level_up"]}, "invalid_webhook_url"),
        ({"url": "http://127.0.0.1:99999/x", "event_types": ["level_up"]}, "invalid_webhook_url"),
        ({"url": "http://127.0.0.1/x", "event_types": ["level_upp"]}, "unknown_event_type"),
        ({"url": "http://127.0.0.1/x", "event_types": []}, "empty"),
        ({"url": "http://127.0.0.1/x"}, "required"),
        ({"url": "http://127.0.0.1/x", "event_types": "level_up"}, "not_a_list"),
        ({"url": 5, "event_types": ["level_up"]}, "invalid_webhook_url"),
    ],
)
def test_bad_input_is_a_400_with_a_code(body, code):
    client, _ = key_client("webhooks:manage")
    answer = client.post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == code
    assert not WebhookEndpoint.objects.exists()


def test_a_bad_patch_changes_nothing():
    client, api_key = key_client("webhooks:manage")
    hook = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/h", event_types=["level_up"], owner_key=api_key)
    answer = client.patch(
        f"/api/v1/webhooks/{hook.pk}/", {"url": "gopher://x", "event_types": ["layer_up"]}, format="json"
    )
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_webhook_url"
    hook.refresh_from_db()
    assert hook.url == "http://127.0.0.1:9/h" and hook.event_types == ["level_up"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://172.16.0.1/hooks",
        "http://192.168.1.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://224.0.0.1/hooks",
        "http://0.0.0.0/hooks",
        "http://240.0.0.1/hooks",
        "http://100.64.0.1/hooks",
    ],
)
def test_production_refuses_private_targets_at_subscription_time(settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    client, _ = key_client("webhooks:manage")
    answer = client.post("/api/v1/webhooks/", {"url": url, "event_types": ["level_up"]}, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "webhook_target_refused"
    assert not WebhookEndpoint.objects.exists()


def test_public_addresses_pass_the_address_rule():
    assert webhooks.is_public_address("8.8.8.8")
    assert webhooks.is_public_address("2606:4700:4700::1111")
    for address in ("127.0.0.1", "10.0.0.1", "169.254.1.1", "::1", "fc00::1", "224.0.0.1", "::ffff:10.0.0.1", "junk"):
        assert not webhooks.is_public_address(address)


def test_create_api_key_offers_the_new_scope(capsys):
    from django.core.management import call_command

    call_command("create_api_key", "integrations", "--scopes", "webhooks:manage")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert client.get("/api/v1/webhooks/").status_code == 200
