"""The zone rule: where green ends and red begins, for a unit and for a region's units summed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.sla.calendar import local_zone
from hub.sla.compliance import _year_bounds
from hub.sla.zones import NOTHING, Tally, Zone, ZoneThresholds, zone_of

RULE = ZoneThresholds()


def unit(reachable: bool = True, received: int = 10, due: int = 10, on_time: int = 10, overdue: int = 0) -> Tally:
    return Tally(units=1, reachable_units=int(reachable), reports_received=received, follow_ups_due=due,
                 follow_ups_on_time=on_time, overdue=overdue)


def test_a_connected_unit_that_follows_up_on_time_is_green() -> None:
    assert zone_of(unit(), RULE) is Zone.GREEN


def test_a_unit_with_no_reports_yet_is_judged_on_its_connection_alone() -> None:
    assert zone_of(unit(received=0, due=0, on_time=0), RULE) is Zone.GREEN
    assert zone_of(unit(reachable=False, received=0, due=0, on_time=0), RULE) is Zone.RED


def test_an_unreachable_unit_is_red_however_well_it_did() -> None:
    assert zone_of(unit(reachable=False), RULE) is Zone.RED


@pytest.mark.parametrize(("on_time", "zone"), [(10, Zone.GREEN), (8, Zone.GREEN), (7, Zone.YELLOW),
                                               (5, Zone.YELLOW), (4, Zone.RED), (0, Zone.RED)])
def test_follow_ups_on_time_at_80_percent_stay_green_and_below_50_turn_red(on_time: int, zone: Zone) -> None:
    assert zone_of(unit(on_time=on_time), RULE) is zone


@pytest.mark.parametrize(("overdue", "zone"), [(0, Zone.GREEN), (1, Zone.GREEN), (2, Zone.YELLOW),
                                               (3, Zone.YELLOW), (4, Zone.RED)])
def test_reports_past_a_deadline_above_10_percent_are_yellow_and_above_30_red(overdue: int, zone: Zone) -> None:
    assert zone_of(unit(overdue=overdue), RULE) is zone


def test_a_region_is_zoned_on_its_units_summed_not_on_its_worst_unit() -> None:
    good = [unit() for _ in range(9)]
    down = unit(reachable=False)
    region = sum(good, NOTHING) + down
    assert region.units == 10 and region.reachable_units == 9
    assert region.reachable_share == 0.9
    assert zone_of(region, RULE) is Zone.GREEN
    half_down = sum([unit() for _ in range(2)], NOTHING) + down + down + unit(reachable=False)
    assert half_down.reachable_share == 0.4
    assert zone_of(half_down, RULE) is Zone.RED
    some_down = sum([unit() for _ in range(6)], NOTHING) + down + down
    assert zone_of(some_down, RULE) is Zone.YELLOW


def test_other_thresholds_move_the_zones() -> None:
    strict = ZoneThresholds(green_on_time=0.95, red_on_time=0.9)
    assert zone_of(unit(on_time=8), RULE) is Zone.GREEN
    assert zone_of(unit(on_time=9), strict) is Zone.YELLOW
    assert zone_of(unit(on_time=8), strict) is Zone.RED


def test_shares_with_nothing_to_measure_are_none() -> None:
    assert (NOTHING.reachable_share, NOTHING.on_time_share, NOTHING.overdue_share) == (None, None, None)


def test_reports_the_clock_could_not_time_are_left_out_of_the_overdue_share() -> None:
    all_untimed = Tally(units=1, reachable_units=1, reports_received=4, follow_ups_due=0, follow_ups_on_time=0,
                        overdue=0, untimed=4)
    assert all_untimed.overdue_share is None
    assert zone_of(all_untimed, RULE) is Zone.GREEN
    half = Tally(units=1, reachable_units=1, reports_received=4, follow_ups_due=2, follow_ups_on_time=2,
                 overdue=1, untimed=2)
    assert half.overdue_share == 0.5
    assert zone_of(half, RULE) is Zone.RED


@pytest.mark.parametrize("region", ["", "31", "64.08", "91.01"])
def test_the_database_bound_on_a_year_keeps_its_first_and_last_moment_in_every_time_zone(region: str) -> None:
    zone = local_zone(region)
    first, last = datetime(2026, 1, 1, tzinfo=zone), datetime(2027, 1, 1, tzinfo=zone) - timedelta(microseconds=1)
    low, high = _year_bounds(2026)
    assert low is not None and high is not None
    assert low <= first and last < high
    assert low > datetime(2025, 12, 31, tzinfo=UTC) and high < datetime(2027, 1, 2, tzinfo=UTC)
    assert _year_bounds(None) == (None, None)
