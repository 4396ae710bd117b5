"""Strava sport types → catalogue activities, and the human bounds of average speed.

Pure data (no settings, no ORM). The catalogue keys and units are those of the default
catalogue (xp/migrations/0002): running, walking, cycling and swimming are all counted in km.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

# Strava `sport_type` (or the older `type` when sport_type is absent) → activity key.
SPORT_TO_ACTIVITY: dict[str, str] = {
    "Run": "running",
    "TrailRun": "running",
    "VirtualRun": "running",
    "Walk": "walking",
    "Hike": "walking",
    "Ride": "cycling",
    "GravelRide": "cycling",
    "MountainBikeRide": "cycling",
    "VirtualRide": "cycling",
    "Swim": "swimming",
}
# Everything else (EBikeRide, Workout, WeightTraining, Yoga, ...) is recorded as ignored.

# Metres per unit of each mapped activity (all are km in the catalogue).
METRES_PER_UNIT: dict[str, Decimal] = {
    "running": Decimal("1000"),
    "walking": Decimal("1000"),
    "cycling": Decimal("1000"),
    "swimming": Decimal("1000"),
}

# Plausible average speed (distance / moving time) in metres per second, per activity.
# Outside [low, high] the activity is held for review instead of awarded.
#
# | activity | low m/s (km/h) | high m/s (km/h) | why the high bound                              |
# |----------|----------------|-----------------|-------------------------------------------------|
# | running  | 0.5 (1.8)      | 7.0 (25.2)      | 1 km world record ≈ 7.6 m/s; nobody averages it  |
# | walking  | 0.2 (0.7)      | 4.2 (15.1)      | race-walking world records ≈ 4.0 m/s             |
# | cycling  | 0.5 (1.8)      | 16.7 (60.1)     | hour record ≈ 15.8 m/s (56.8 km/h)               |
# | swimming | 0.1 (0.4)      | 2.2 (7.9)       | 100 m freestyle world record ≈ 2.16 m/s          |
#
# The low bounds catch a tracker left running (a "run" at walking-in-place pace over hours).
SPEED_BOUNDS_MPS: dict[str, tuple[Decimal, Decimal]] = {
    "running": (Decimal("0.5"), Decimal("7.0")),
    "walking": (Decimal("0.2"), Decimal("4.2")),
    "cycling": (Decimal("0.5"), Decimal("16.7")),
    "swimming": (Decimal("0.1"), Decimal("2.2")),
}

# Why an import record is held or ignored (codes the player sees).
HELD_IMPLAUSIBLE_SPEED = "implausible_speed"
HELD_MANUAL = "manual_activity"
IGNORED_SPORT = "unsupported_sport"
IGNORED_DELETED = "deleted_at_strava"

UNITS_QUANTUM = Decimal("0.01")


def activity_for_sport(sport_type: str | None, activity_type: str | None = None) -> str | None:
    """The catalogue key for a Strava activity: ``sport_type`` first, ``type`` as fallback."""
    if sport_type:
        return SPORT_TO_ACTIVITY.get(sport_type)
    if activity_type:
        return SPORT_TO_ACTIVITY.get(activity_type)
    return None


def units_for_distance(activity_key: str, distance_m: Decimal) -> Decimal:
    """Distance in metres → the activity's unit, floored to 0.01 (5,349 m → 5.34 km)."""
    return (Decimal(distance_m) / METRES_PER_UNIT[activity_key]).quantize(UNITS_QUANTUM, rounding=ROUND_FLOOR)


def speed_is_plausible(activity_key: str, distance_m: Decimal, moving_time_s: int) -> bool:
    """Whether distance / moving time lies inside the activity's human bounds."""
    if moving_time_s <= 0:
        return distance_m <= 0
    low, high = SPEED_BOUNDS_MPS[activity_key]
    speed = Decimal(distance_m) / Decimal(moving_time_s)
    return low <= speed <= high


# The one-time import reaches this many days back (POST .../strava/backfill/).
BACKFILL_DAYS = 7
