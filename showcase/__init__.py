"""Rank cards (PNG) and the server-rendered community pages (docs/showcase.md)."""
