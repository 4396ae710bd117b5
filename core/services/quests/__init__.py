"""Quests: goals and challenges, their progress from the ledger, completion and settlement."""
