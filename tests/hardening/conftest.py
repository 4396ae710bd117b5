from tests.discord.conftest import interactions, signing_key  # noqa: F401 (the signed-interaction fixtures)
