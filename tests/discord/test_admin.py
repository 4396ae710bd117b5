"""The admin of the Discord community: announcement channels added by hand, tokens never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse

from community.models import AnnouncementChannel, DiscordLink, GuildMember
from core.utils.dates import utc_now
from tests.discord.conftest import CHANNEL_ID, GUILD_ID
from ultrabackend import crypto
from users.tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

WEBHOOK = "https://discord.com/api/webhooks/800000000000000001/" + "w" * 68


@pytest.fixture
def admin_client(client):
    client.force_login(PlayerFactory(is_staff=True, is_superuser=True))
    return client


def form(**values):
    base = {
        "guild_id": GUILD_ID,
        "name": "Runners",
        "channel_id": "",
        "webhook_url": "",
        "level_ups": "on",
        "layer_ups": "on",
        "promotions": "on",
        "season_top": "on",
        "members_only": "on",
        "is_active": "on",
    }
    return {**base, **values}


def test_a_channel_is_added_with_a_channel_id_or_a_webhook(admin_client):
    url = reverse("admin:community_announcementchannel_add")
    assert admin_client.post(url, form(channel_id=CHANNEL_ID)).status_code == 302
    assert admin_client.post(url, form(guild_id="300000000000000002", webhook_url=WEBHOOK)).status_code == 302
    assert AnnouncementChannel.objects.count() == 2
    assert admin_client.get(reverse("admin:community_announcementchannel_changelist")).status_code == 200


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"channel_id": CHANNEL_ID, "webhook_url": WEBHOOK},
        {"webhook_url": "https://example.com/api/webhooks/800000000000000001/" + "w" * 68},
        {"channel_id": "12"},
        {"guild_id": "abc", "channel_id": CHANNEL_ID},
    ],
)
def test_a_bad_channel_is_refused_with_a_message(admin_client, values):
    response = admin_client.post(reverse("admin:community_announcementchannel_add"), form(**values))
    assert response.status_code == 200  # the form again, with its errors
    assert response.context["adminform"].form.errors
    assert not AnnouncementChannel.objects.exists()


def test_linked_roles_and_members_are_listed_without_tokens(admin_client, settings):
    settings.FIELD_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    user = PlayerFactory(discord_id="111111111111111111")
    GuildMember.objects.create(guild_id=GUILD_ID, user=user)
    link = DiscordLink.objects.create(
        user=user,
        discord_id=user.discord_id,
        access_token_encrypted=crypto.encrypt("secret-access"),
        refresh_token_encrypted=crypto.encrypt("secret-refresh"),
        expires_at=utc_now() + timedelta(days=7),
        linked_at=utc_now(),
    )
    page = admin_client.get(reverse("admin:community_discordlink_change", args=[link.pk]))
    assert page.status_code == 200
    assert b"secret-access" not in page.content
    assert link.access_token_encrypted.encode() not in page.content
    assert admin_client.get(reverse("admin:community_discordlink_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:community_guildmember_changelist")).status_code == 200


def test_the_discord_outbox_is_listed_and_a_failed_message_can_be_sent_again(admin_client):
    from community import outbox
    from community.models import DiscordMessage

    channel = AnnouncementChannel.objects.create(guild_id=GUILD_ID, channel_id=CHANNEL_ID)
    outbox.announce([channel.pk], {"title": "news"}, key="admin:1")
    outbox.announce([channel.pk], {"title": "more news"}, key="admin:2")
    failed, sent = DiscordMessage.objects.order_by("id")
    DiscordMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=3, last_error="HTTP 403")
    DiscordMessage.objects.filter(pk=sent.pk).update(status="sent", attempts=1)
    listing = admin_client.get(reverse("admin:community_discordmessage_changelist"))
    assert listing.status_code == 200 and f"channel:{CHANNEL_ID}".encode() in listing.content
    assert admin_client.get(reverse("admin:community_discordmessage_change", args=[failed.pk])).status_code == 200
    answer = admin_client.post(
        reverse("admin:community_discordmessage_changelist"),
        {"action": "send_again", "_selected_action": [failed.pk, sent.pk]},
    )
    assert answer.status_code == 302
    failed.refresh_from_db(), sent.refresh_from_db()
    assert (failed.status, failed.attempts, failed.leased_until) == ("pending", 0, None)
    assert failed.next_attempt_at > utc_now() - timedelta(minutes=1)
    assert sent.status == "sent"  # a sent message is never sent again
