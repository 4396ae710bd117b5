"""The keys of the Redis rank index and its member encoding: what the index writer
(core/services/seasons/rank_index.py) and its readers (the leaderboard and showcase selectors)
share.

Score and member encoding: the sorted-set score is the season XP (an exact integer); the member
is ``<inverted microseconds since season start, 14 digits><inverted user id, 12 digits>``. Redis
orders equal scores by member, so in descending order the player who reached the score first
(and then the lower user id) comes first: exactly ``ORDER BY xp DESC, reached_at, user_id``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.utils.dates import month_bounds
from ultrabackend import redis as r

_TIME_DIGITS, _UID_DIGITS = 14, 12
_TIME_SPAN = 10**_TIME_DIGITS  # microseconds since the season start: ~3 years (late corrections)
_UID_SPAN = 10**_UID_DIGITS


def board_key(season_id: str, mode: str, league: str | None = None) -> str:
    return r.key("lb", season_id, mode, league) if league else r.key("lb", season_id, mode)


def meta_key(season_id: str, mode: str) -> str:
    return r.key("lb", season_id, mode, "meta")


def ready_key(season_id: str, mode: str) -> str:
    return r.key("lb", season_id, mode, "ready")


def encode_member(season_id: str, user_id: int, reached_at: datetime) -> str:
    start, _ = month_bounds(season_id)
    micros = (reached_at - start) // timedelta(microseconds=1)  # exact: no float on the way
    micros = min(max(micros, 0), _TIME_SPAN - 1)
    return f"{_TIME_SPAN - 1 - micros:0{_TIME_DIGITS}d}{_UID_SPAN - 1 - user_id:0{_UID_DIGITS}d}"


def decode_user_id(member: str | bytes) -> int:
    text = member.decode() if isinstance(member, bytes) else member
    return _UID_SPAN - 1 - int(text[_TIME_DIGITS:])
