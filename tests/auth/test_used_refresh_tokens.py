"""The used-refresh-token store in PostgreSQL: one row per used token, racing uses make one row,
and the daily job forgets tokens past their expiry (their own exp refuses them anyway)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from apptokens.models import UsedRefreshToken
from apptokens.tasks import purge_used_refresh_tokens
from core.exceptions import InvalidAppToken
from core.services.accounts import tokens
from core.utils.dates import utc_now
from tests.concurrency import run_at_once


@pytest.mark.django_db
def test_the_daily_job_forgets_only_expired_tokens() -> None:
    now = utc_now()
    UsedRefreshToken.objects.create(jti="old", expires_at=now - timedelta(seconds=1))
    UsedRefreshToken.objects.create(jti="live", expires_at=now + timedelta(days=1))
    assert purge_used_refresh_tokens(int(now.timestamp())) == 1
    assert list(UsedRefreshToken.objects.values_list("jti", flat=True)) == ["live"]


@pytest.mark.django_db(transaction=True)
def test_racing_uses_of_one_refresh_token_record_it_once(player) -> None:  # type: ignore[no-untyped-def]
    refresh = tokens.issue_pair(player)["refresh"]

    def use(_: int) -> bool:
        try:
            tokens.rotate(refresh)
        except InvalidAppToken:
            return False
        return True

    assert sorted(run_at_once(use, 6)) == [False] * 5 + [True]
    assert UsedRefreshToken.objects.count() == 1
