"""Compliance zones, as the Ombudsman names them: zona hijau, kuning, merah (green, yellow, red).

A zone sums up in one word how a unit, or the units of a region together,
keep what a supervisor checks: connected to the network (the node answers
its heartbeat), follow-ups (tindak lanjut) made on time, and no report left
past a deadline. The thresholds are here and in docs/dashboard.md, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Zone(StrEnum):
    GREEN = "GREEN"  # zona hijau: high compliance
    YELLOW = "YELLOW"  # zona kuning: medium compliance
    RED = "RED"  # zona merah: low compliance


ZONE_NAMES = {Zone.GREEN: "Hijau", Zone.YELLOW: "Kuning", Zone.RED: "Merah"}


@dataclass(frozen=True)
class ZoneThresholds:
    """Where the zones change. Green needs every `green_*` bound met; any `red_*` bound crossed is red;
    everything between is yellow. A share with nothing to measure (no follow-up due yet, no report
    received) meets its bound: a unit is not marked down for reports it never had."""

    green_reachable: float = 0.9  # green: at least this share of units reachable,
    green_on_time: float = 0.8  # at least this share of follow-ups due made on time,
    green_overdue: float = 0.1  # and at most this share of reports past a deadline
    red_reachable: float = 0.5  # red: fewer units reachable than this share,
    red_on_time: float = 0.5  # or fewer follow-ups on time than this share,
    red_overdue: float = 0.3  # or more reports past a deadline than this share


@dataclass(frozen=True)
class Tally:
    """What a zone is judged on, for one unit or summed over many."""

    units: int
    reachable_units: int
    reports_received: int
    follow_ups_due: int
    follow_ups_on_time: int
    overdue: int
    untimed: int = 0  # reports not timed for want of a holiday calendar: left out of the shares

    @property
    def reachable_share(self) -> float | None:
        return self.reachable_units / self.units if self.units else None

    @property
    def on_time_share(self) -> float | None:
        return self.follow_ups_on_time / self.follow_ups_due if self.follow_ups_due else None

    @property
    def overdue_share(self) -> float | None:
        """Of the reports received that the clock could time."""
        timed = self.reports_received - self.untimed
        return self.overdue / timed if timed else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.units + other.units, self.reachable_units + other.reachable_units,
                     self.reports_received + other.reports_received, self.follow_ups_due + other.follow_ups_due,
                     self.follow_ups_on_time + other.follow_ups_on_time, self.overdue + other.overdue,
                     self.untimed + other.untimed)


NOTHING = Tally(0, 0, 0, 0, 0, 0)


def zone_of(tally: Tally, thresholds: ZoneThresholds) -> Zone:
    """The zone of a unit or region; a share that cannot be measured yet counts as met."""
    t = thresholds
    reachable, on_time, overdue = tally.reachable_share, tally.on_time_share, tally.overdue_share
    if ((reachable is not None and reachable < t.red_reachable)
            or (on_time is not None and on_time < t.red_on_time)
            or (overdue is not None and overdue > t.red_overdue)):
        return Zone.RED
    if ((reachable is None or reachable >= t.green_reachable)
            and (on_time is None or on_time >= t.green_on_time)
            and (overdue is None or overdue <= t.green_overdue)):
        return Zone.GREEN
    return Zone.YELLOW
