"""How Discord jobs are retried by the task queue: a 429 waits exactly what Discord asked for, a
5xx / timeout backs off exponentially, anything else is not retried."""

from __future__ import annotations

from datetime import timedelta

from procrastinate import BaseRetryStrategy, RetryDecision
from procrastinate.jobs import Job

from core.clients.discord import RateLimited, Unavailable
from core.utils.dates import utc_now


class DiscordRetry(BaseRetryStrategy):
    def __init__(self, *, max_attempts: int, base_wait: int = 2, max_wait: int = 600) -> None:
        self.max_attempts = max_attempts
        self.base_wait = base_wait
        self.max_wait = max_wait

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if job.attempts + 1 >= self.max_attempts:
            return None
        if isinstance(exception, RateLimited):
            return RetryDecision(retry_at=utc_now() + timedelta(seconds=exception.retry_after))
        if isinstance(exception, Unavailable):
            wait = min(self.base_wait ** (job.attempts + 1), self.max_wait)
            return RetryDecision(retry_at=utc_now() + timedelta(seconds=wait))
        return None
