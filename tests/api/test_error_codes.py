"""Every error code has a test that provokes it: the ones no area test reaches, and the branches
of the one exception handler that turn Django's own exceptions into the API's error shape."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.test import APIClient, APIRequestFactory

from api.exception_handler import api_exception_handler
from core.exceptions import AlreadyCorrected, NotCorrectable, ReasonRequired
from core.services.xp import award_xp, correct_entry
from users.models import ServiceAPIKey
from users.tests.factories import PlayerFactory
from xp.models import XPEntry

pytestmark = pytest.mark.django_db


def refused(exc: Exception):
    request = APIRequestFactory().get("/api/v1/anything/")
    return api_exception_handler(exc, {"request": request, "view": None})


def test_a_django_validation_error_becomes_a_coded_400_with_field_errors():
    response = refused(DjangoValidationError({"display_name": ["Too long."]}))
    assert response is not None and response.status_code == 400
    assert response.data["errors"] == [{"field": "display_name", "code": "invalid", "detail": "Too long."}]
    assert response.data["code"] == "invalid"


def test_a_django_permission_denied_becomes_403_permission_denied():
    response = refused(PermissionDenied())
    assert response is not None and (response.status_code, response.data["code"]) == (403, "permission_denied")


def test_a_django_http404_becomes_404_not_found():
    response = refused(Http404())
    assert response is not None and (response.status_code, response.data["code"]) == (404, "not_found")


def test_a_correction_needs_a_reason_and_happens_once():
    player = PlayerFactory()
    award = award_xp(user=player, activity="pushups", units=Decimal(10), source="web")
    with pytest.raises(ReasonRequired) as no_reason:
        correct_entry(entry=award.entry, reason="   ", corrected_by=None)
    assert no_reason.value.code == "reason_required"
    correction = correct_entry(entry=award.entry, reason="duplicate", corrected_by=None)
    with pytest.raises(AlreadyCorrected) as twice:
        correct_entry(entry=XPEntry.objects.get(pk=award.entry.pk), reason="again", corrected_by=None)
    assert twice.value.code == "already_corrected"
    with pytest.raises(NotCorrectable) as of_a_correction:
        correct_entry(entry=XPEntry.objects.get(pk=correction.entry.pk), reason="undo", corrected_by=None)
    assert of_a_correction.value.code == "not_correctable"
    assert XPEntry.objects.filter(user=player).count() == 2  # the refusals wrote nothing


def test_a_player_on_a_service_key_endpoint_is_403_service_key_required(player_client):
    response = player_client.get("/api/v1/users/discord/123456789012345678/profile/")
    assert (response.status_code, response.json()["code"]) == (403, "service_key_required")


def test_a_key_without_the_scope_is_403_missing_scope():
    _, key = ServiceAPIKey.objects.create_key(name="reader", scopes=["profile:read"])
    client = APIClient(HTTP_AUTHORIZATION=f"Api-Key {key}")
    response = client.post(
        "/api/v1/xp/add/", {"activity": "pushups", "units": 1, "discord_id": "123456789012345678"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "missing_scope")
