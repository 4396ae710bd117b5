"""UTC calendar helpers (seasons are calendar months in UTC)."""

import re
from datetime import UTC, date, datetime

# ASCII digits only (\d also matches Arabic-Indic digits); always used with fullmatch (``$``
# would accept a trailing newline).
SEASON_ID_RE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def utc_now() -> datetime:
    return datetime.now(UTC)


def season_id_for(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def month_bounds(season_id: str) -> tuple[datetime, datetime]:
    """[start, end) of the UTC month ``YYYY-MM``; ValueError when malformed."""
    match = SEASON_ID_RE.fullmatch(season_id) if isinstance(season_id, str) else None
    if not match:
        raise ValueError(f"not a season id: {season_id!r}")
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, as the API renders every time."""
    text = moment.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
