"""Accounts by Discord id: validation, and one account per Discord id under concurrency."""

import pytest

from core.exceptions import InvalidDiscordId
from core.services.accounts import user_service
from tests.concurrency import run_at_once
from users.models import CustomUser
from xp.models import UserProfile

DAVE = "700000000000000001"


@pytest.mark.parametrize("good", ["12345678901234567", "12345678901234567890", 12345678901234567])
def test_snowflakes_are_17_to_20_digits(good):
    assert user_service.validate_discord_id(good) == str(good)


@pytest.mark.parametrize(
    "bad",
    [
        "1234567890123456",
        "123456789012345678901",
        "12345678901234567a",
        " 12345678901234567",
        "１２３４５６７８９０１２３４５６７",
        None,
        True,
        1.5e17,
        [],
        "",
    ],
)
def test_anything_else_is_invalid(bad):
    with pytest.raises(InvalidDiscordId):
        user_service.validate_discord_id(bad)


@pytest.mark.django_db
def test_get_or_create_makes_one_account_with_a_profile_and_no_password():
    user, created = user_service.get_or_create_discord_user(discord_id=DAVE)
    again, created_again = user_service.get_or_create_discord_user(discord_id=DAVE)
    assert created and not created_again and again.pk == user.pk
    assert not user.has_usable_password() and UserProfile.objects.filter(user=user).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_of_one_discord_id_makes_one_account():
    results = run_at_once(lambda i: user_service.get_or_create_discord_user(discord_id=DAVE)[0].pk, 8)
    assert len(set(results)) == 1 and len(results) == 8
    assert CustomUser.objects.filter(discord_id=DAVE).count() == 1
    assert UserProfile.objects.filter(user__discord_id=DAVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_bot_awards_to_a_new_discord_id_make_one_account_and_count_every_award():
    from rest_framework.test import APIClient

    from users.models import ServiceAPIKey
    from xp.models import XPEntry

    _, key = ServiceAPIKey.objects.create_key(name="bot", scopes=["xp:write"])

    def award(i: int) -> int:
        client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
        response = client.post(
            "/api/v1/xp/add/",
            {"activity": "pushups", "units": 1, "discord_id": DAVE},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"m{i}",
        )
        return response.status_code

    statuses = run_at_once(award, 6)
    assert statuses == [201] * 6
    user = CustomUser.objects.get(discord_id=DAVE)
    assert XPEntry.objects.filter(user=user).count() == 6
    assert UserProfile.objects.get(user=user).total_xp == 60
