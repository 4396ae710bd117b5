"""Claims on Discord (docs/discord.md "Claims"): the review channel's message with Approve/Reject
buttons for every new claim, kept up to date with the count and the outcome, and the buttons'
clicks counted as votes (community/interactions.py calls ``vote_from_button``).

The channel is DISCORD_REVIEW_CHANNEL_ID (bot token); without it nothing is posted. Posting and
editing are jobs on the ``discord`` queue, deferred after the claim's transaction commits.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.conf import settings
from procrastinate.contrib.django import app

from claims.models import APPROVE, PENDING, Claim
from community import embeds
from community.retry import DiscordRetry
from core.clients import discord as api

logger = logging.getLogger(__name__)

QUEUE = "discord"
BUTTON_ID = re.compile(r"^claim:([1-9][0-9]{0,18}):(approve|reject)$")
PRIMARY, DANGER = 1, 4
STATE_COLORS = {"pending": embeds.COLOR_INFO, "approved": embeds.COLOR_OK, "rejected": embeds.COLOR_ERROR}


def review_message(claim: Claim) -> dict[str, Any]:
    """The review channel's message for ``claim``: what is claimed, why it is held, its proof, the
    votes so far and, once decided, the outcome (the buttons go away)."""
    fields = [
        {
            "name": "Claim",
            "value": f"{embeds.number(claim.units)} {embeds.escape(claim.activity.unit)} of "
            f"{embeds.escape(claim.activity.name)}",
        },
        {"name": "XP", "value": embeds.number(claim.xp), "inline": True},
        {"name": "Votes", "value": f"✅ {claim.approvals} · ❌ {claim.rejections}", "inline": True},
        {"name": "Held because", "value": claim.reason.replace("_", " ")},
    ]
    if claim.proof_url:
        fields.append({"name": "Proof", "value": embeds.escape(claim.proof_url)})
    if claim.note:
        fields.append({"name": "Note", "value": embeds.escape(claim.note[:1000])})
    if claim.state != PENDING:
        fields.append({"name": "Outcome", "value": f"{claim.state} ({claim.decided_via})"})
    embed = {
        "title": f"Claim #{claim.pk} by {embeds.escape(claim.user.public_name)}",
        "color": STATE_COLORS.get(claim.state, embeds.COLOR_INFO),
        "fields": fields,
    }
    components: list[Any] = []
    if claim.state == PENDING:
        components = [
            {
                "type": embeds.ACTION_ROW,
                "components": [
                    {
                        "type": embeds.BUTTON,
                        "style": PRIMARY,
                        "label": "Approve",
                        "custom_id": f"claim:{claim.pk}:approve",
                    },
                    {
                        "type": embeds.BUTTON,
                        "style": DANGER,
                        "label": "Reject",
                        "custom_id": f"claim:{claim.pk}:reject",
                    },
                ],
            }
        ]
    return embeds.message(embed, components=components)


def held_message(claim: Claim) -> dict[str, Any]:
    """The ephemeral answer to a /log that was held for review."""
    text = (
        f"That is more than one entry is believed without a check: your {embeds.number(claim.units)} "
        f"{claim.activity.unit} of {claim.activity.name} ({embeds.number(claim.xp)} XP) is held for review "
        f"as claim #{claim.pk}. The community votes on it; add proof (an https link) with "
        f"POST /api/v1/claims/{claim.pk}/proof/ or in the web app to help them decide."
    )
    return embeds.message({"description": text, "color": embeds.COLOR_INFO}, ephemeral=True)


def _load(claim_id: int) -> Claim | None:
    return Claim.objects.select_related("activity", "user").filter(pk=claim_id).first()


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def post_review_message(*, claim_id: int) -> None:
    """Post the claim's message to the review channel (once: a posted claim is edited instead)."""
    claim = _load(claim_id)
    channel = settings.DISCORD_REVIEW_CHANNEL_ID
    if claim is None or not channel:
        return
    if claim.discord_message_id:
        update_review_message(claim_id=claim_id)
        return
    try:
        answer = api.call(
            "POST", f"/channels/{channel}/messages", json=review_message(claim), headers=api.bot_headers()
        )
    except api.Rejected as exc:
        logger.warning("Discord refused the review message of claim %s: %s", claim_id, exc)
        return
    message_id = str((answer or {}).get("id", "")) if isinstance(answer, dict) else ""
    Claim.objects.filter(pk=claim_id).update(discord_channel_id=channel, discord_message_id=message_id[:32])


@app.task(queue=QUEUE, retry=DiscordRetry(max_attempts=10), pass_context=False)
def update_review_message(*, claim_id: int) -> None:
    """Edit the claim's review message to its current count and outcome (reads it when run)."""
    claim = _load(claim_id)
    if claim is None or not claim.discord_message_id:
        return
    path = f"/channels/{claim.discord_channel_id}/messages/{claim.discord_message_id}"
    try:
        api.call("PATCH", path, json=review_message(claim), headers=api.bot_headers())
    except api.Rejected as exc:
        logger.warning("Discord refused to update the review message of claim %s: %s", claim_id, exc)


def vote_verdict(custom_id: str) -> tuple[int, str] | None:
    """(claim id, verdict) of a review button's custom_id, else None."""
    match = BUTTON_ID.match(custom_id)
    return (int(match.group(1)), match.group(2)) if match else None


def is_approve(verdict: str) -> bool:
    return verdict == APPROVE
