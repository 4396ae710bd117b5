"""The claims' review channel on Discord (docs/discord.md "Claims"): a new claim gets a message
there, a changed one an edit. Both are jobs of ``community/claims.py``, deferred here by task name
(a service never imports a tasks module); without DISCORD_REVIEW_CHANNEL_ID or a bot token
nothing is queued."""

from __future__ import annotations

from django.conf import settings

from core.utils.jobs import defer_job

POST_REVIEW_MESSAGE_TASK = "community.claims.post_review_message"
UPDATE_REVIEW_MESSAGE_TASK = "community.claims.update_review_message"


def _configured() -> bool:
    return bool(settings.DISCORD_REVIEW_CHANNEL_ID and settings.DISCORD_BOT_TOKEN)


def post_message(claim_id: int) -> None:
    """Queue the review message of a new claim (once: a waiting job is enough)."""
    if _configured():
        # The post and its edits share one lock: an edit runs after the post and finds its
        # message (an edit run first would find none, and the post could show a stale count).
        defer_job(
            POST_REVIEW_MESSAGE_TASK,
            queueing_lock=f"claim-message:{claim_id}",
            lock=f"claim-message:{claim_id}",
            claim_id=claim_id,
        )


def update_message(claim_id: int) -> None:
    """Queue the edit of a claim's review message to its current count and outcome."""
    if _configured():
        defer_job(
            UPDATE_REVIEW_MESSAGE_TASK,
            queueing_lock=f"claim-update:{claim_id}",
            lock=f"claim-message:{claim_id}",
            claim_id=claim_id,
        )
