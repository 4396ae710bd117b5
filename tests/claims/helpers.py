"""Players who may review, and claims made through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rest_framework.test import APIClient

from core.utils.dates import utc_now
from users.models import CustomUser
from users.tests.factories import PlayerFactory

ADD = "/api/v1/xp/add/"


def client_for(user: CustomUser) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def reviewer(**kwargs: Any) -> CustomUser:
    """A player whose account is old enough to review."""
    user = PlayerFactory(**kwargs)
    CustomUser.objects.filter(pk=user.pk).update(date_joined=utc_now() - timedelta(days=30))
    user.refresh_from_db()
    return user


def claim_running(client: APIClient, km: int | str = 60, **extra: Any) -> dict[str, Any]:
    response = client.post(ADD, {"activity": "running", "units": km, **extra}, format="json")
    assert response.status_code == 202, response.content
    return response.json()["claim"]  # type: ignore[no-any-return]


def vote(user: CustomUser, claim_id: int, verdict: str, **extra: Any) -> Any:
    return client_for(user).post(f"/api/v1/claims/{claim_id}/votes/", {"verdict": verdict, **extra}, format="json")
