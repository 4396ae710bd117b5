"""Streaks, achievements, season trophies and XP boosts (the achievements app's rules).

``after_award`` (unlocks.py) is the one hook the award path calls right after its statement.
"""
