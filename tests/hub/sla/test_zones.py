"""simpul's complaint-handling zone: where green ends and red begins, grey when nothing could be timed, for a
unit and for a region's units summed; thresholds from the hub settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.settings import HubSettings
from hub.sla.calendar import local_zone
from hub.sla.period import Period
from hub.sla.zones import NOTHING, Tally, Zone, ZoneThresholds, zone_of
from simpul.errors import InvalidInput
from simpul.setting import share
from tests.federation import run_cli

RULE = ZoneThresholds()


def unit(reachable: bool = True, received: int = 10, due: int = 10, on_time: int = 10, overdue: int = 0) -> Tally:
    return Tally(units=1, reachable_units=int(reachable), reports_received=received, follow_ups_due=due,
                 follow_ups_on_time=on_time, overdue=overdue)


def test_a_connected_unit_that_follows_up_on_time_is_green() -> None:
    assert zone_of(unit(), RULE) is Zone.GREEN


def test_a_unit_with_no_reports_yet_is_grey_not_green_and_red_if_it_cannot_be_reached() -> None:
    assert zone_of(unit(received=0, due=0, on_time=0), RULE) is Zone.GREY
    assert zone_of(unit(reachable=False, received=0, due=0, on_time=0), RULE) is Zone.RED


def test_a_region_whose_units_have_nothing_timed_is_grey() -> None:
    idle = unit(received=0, due=0, on_time=0)
    assert zone_of(idle + idle + idle, RULE) is Zone.GREY
    assert zone_of(idle + idle + unit(), RULE) is Zone.GREEN  # one unit's timed figures are enough to judge on


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
    assert zone_of(all_untimed, RULE) is Zone.GREY  # not enough data: never green by default
    half = Tally(units=1, reachable_units=1, reports_received=4, follow_ups_due=2, follow_ups_on_time=2,
                 overdue=1, untimed=2)
    assert half.overdue_share == 0.5
    assert zone_of(half, RULE) is Zone.RED


@pytest.mark.parametrize("region", ["", "31", "64.08", "91.01"])
def test_the_database_bound_on_a_year_keeps_its_first_and_last_moment_in_every_time_zone(region: str) -> None:
    zone = local_zone(region)
    first, last = datetime(2026, 1, 1, tzinfo=zone), datetime(2027, 1, 1, tzinfo=zone) - timedelta(microseconds=1)
    low, high = Period(2026).window()
    assert low <= first and last < high
    assert low > datetime(2025, 12, 31, tzinfo=UTC) and high < datetime(2027, 1, 2, tzinfo=UTC)
    assert Period(2026).contains(first, region) and Period(2026).contains(last, region)


def test_the_thresholds_are_hub_settings() -> None:
    assert ZoneThresholds.from_settings(HubSettings()) == RULE
    strict = ZoneThresholds.from_settings(HubSettings(zone_green_on_time=0.95, zone_red_on_time=0.9))
    assert zone_of(unit(on_time=9), strict) is Zone.YELLOW
    assert share("0.75") == 0.75
    with pytest.raises(ValueError, match="a share from 0 to 1 expected, like 0.8, not '80'"):
        share("80")


def test_a_red_bound_beyond_its_green_one_is_refused_at_startup() -> None:
    with pytest.raises(InvalidInput, match=r"red_on_time \(0.9\) must not be above green_on_time \(0.8\)"):
        ZoneThresholds.from_settings(HubSettings(zone_red_on_time=0.9))
    with pytest.raises(InvalidInput, match=r"green_overdue \(0.5\) must not be above red_overdue \(0.3\)"):
        ZoneThresholds.from_settings(HubSettings(zone_green_overdue=0.5))
    started = run_cli("hub", "--zone-red-on-time", "0.9", "--port", "0")
    assert started.returncode == 1
    assert started.stderr == ("simpul: error: zone thresholds: red_on_time (0.9) must not be above green_on_time "
                              "(0.8)\n")
    with pytest.raises(InvalidInput, match="green_reachable must be a share between 0 and 1, not 1.5"):
        ZoneThresholds(green_reachable=1.5)


def test_the_zone_is_named_simpuls_own_and_never_the_ombudsmans() -> None:
    root = Path(__file__).resolve().parents[3]
    schema = (root / "schema" / "hub.graphql").read_text(encoding="utf-8")
    assert "Zona kinerja pengaduan simpul" in schema and "not the Ombudsman's zone" in schema
    assert "GREY" in schema
    for path in [root / "README.md", root / "docs" / "dashboard.md", *(root / "hub").rglob("*.*")]:
        if path.suffix in {".py", ".md", ".js", ".html"}:
            assert "the Ombudsman's zones" not in path.read_text(encoding="utf-8"), path
