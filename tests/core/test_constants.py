from decimal import Decimal

import pytest

from core.constants.activities import SYSTEM_ACTIVITIES
from core.constants.layers import LADDERS, layer_for_xp, next_layer
from core.constants.leagues import LEAGUES, league_down, league_up, promotion_counts
from core.constants.levels import LEVEL_THRESHOLDS, MAX_LEVEL, level_for_xp, level_progress, xp_for_level
from core.utils.dates import month_bounds, season_id_for
from xp.models import ActivityType, Level


@pytest.mark.parametrize(("level", "xp"), [(1, 0), (2, 282), (3, 519), (10, 3162), (100, 100_000)])
def test_level_curve_matches_the_domain_formula(level, xp):
    assert xp_for_level(level) == xp
    assert level_for_xp(xp) == level
    assert level_for_xp(xp - 1) == max(level - 1, 1)


def test_level_lookup_agrees_with_a_linear_scan_near_every_boundary():
    for level in range(2, 400):
        boundary = LEVEL_THRESHOLDS[level - 1]
        assert level_for_xp(boundary) == level
        assert level_for_xp(boundary - 1) == level - 1


def test_level_progress_reports_xp_into_and_to_next_level():
    progress = level_progress(300)
    assert (progress.current, progress.xp_into_level, progress.xp_for_next_level) == (2, 18, 219)
    assert 0 < progress.progress < 1
    top = level_progress(LEVEL_THRESHOLDS[-1] + 5)
    assert top.current == MAX_LEVEL and top.xp_for_next_level is None and top.progress == 1.0
    assert level_progress(-10).current == 1


@pytest.mark.django_db
def test_level_table_in_the_database_equals_the_constants():
    assert list(Level.objects.order_by("level").values_list("min_xp", flat=True)) == list(LEVEL_THRESHOLDS)


@pytest.mark.django_db
def test_default_catalogue_is_installed_with_the_database():
    rates = dict(ActivityType.objects.filter(system=False).values_list("key", "xp_per_unit"))
    assert rates["pushups"] == Decimal("10") and rates["steps"] == Decimal("0.2")
    assert rates["running"] == Decimal("300") and rates["hack_quest"] == Decimal("250")
    assert len(rates) == 10
    system = dict(ActivityType.objects.filter(system=True).values_list("key", "xp_per_unit"))
    assert system == {key: Decimal("1") for key, *_ in SYSTEM_ACTIVITIES}


def test_layers_line_up_with_levels():
    for ladder in LADDERS.values():
        assert [layer.min_xp for layer in ladder] == [
            0,
            xp_for_level(5),
            xp_for_level(15),
            xp_for_level(30),
            xp_for_level(50),
        ]
    assert layer_for_xp("reality", xp_for_level(5) - 1).code == "RL0"
    assert layer_for_xp("reality", xp_for_level(5)).code == "RL1"
    assert layer_for_xp("cyber", 10**9).code == "CLX"
    assert next_layer(LADDERS["cyber"][-1]) is None


def test_league_ladder_moves_one_step_and_stops_at_the_ends():
    assert league_up("bronze") == "silver" and league_up("ultra") == "ultra"
    assert league_down("silver") == "bronze" and league_down("bronze") == "bronze"
    assert LEAGUES[0] == "bronze"


@pytest.mark.parametrize(
    ("players", "up", "down"), [(1, 0, 0), (2, 0, 0), (9, 0, 1), (10, 1, 2), (11, 1, 2), (100, 10, 20)]
)
def test_promotion_counts_floor_each_share(players, up, down):
    assert promotion_counts(players) == (up, down)


def test_month_bounds_are_utc_calendar_months():
    start, end = month_bounds("2026-12")
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00")
    assert season_id_for(end) == "2027-01"
    with pytest.raises(ValueError):
        month_bounds("2026-13")
