from tests.discord.conftest import discord  # noqa: F401  (the stand-in Discord)
from tests.events.conftest import empty_job_queue, endpoint, receiver  # noqa: F401  (shared fixtures)
