"""Contract tests share the stand-in Discord of the sign-in tests."""

from tests.auth.conftest import discord  # noqa: F401  (the fixture)
