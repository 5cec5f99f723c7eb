"""Zona kinerja pengaduan simpul: simpul's own zone of complaint-handling performance.

A zone sums up in one word how a unit, or the units of a region together,
handle complaints as simpul can see it: connected to the network (the node
answers its heartbeat), follow-ups (tindak lanjut) made on time, and no report
left past a deadline. It is not the Ombudsman's zone: that one is a 0-100 score
of compliance with public-service standards, entered as data where known
(hub/sla/ombudsman.py), never computed here. The colours borrow the Ombudsman's
words (hijau, kuning, merah) because supervisors read them; the thresholds are
hub settings (`--zone-*`), documented in docs/figures.md. GREY says there is
not enough data: nothing the unit did could be timed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import TYPE_CHECKING

from simpul.errors import InvalidInput

if TYPE_CHECKING:
    from hub.settings import HubSettings


class Zone(StrEnum):
    GREEN = "GREEN"  # hijau: good complaint handling
    YELLOW = "YELLOW"  # kuning: between green and red
    RED = "RED"  # merah: poor complaint handling, or the unit cannot be reached
    GREY = "GREY"  # abu-abu: not enough data, nothing could be timed


ZONE_NAMES = {Zone.GREEN: "Hijau", Zone.YELLOW: "Kuning", Zone.RED: "Merah", Zone.GREY: "Abu-abu"}
ZONE_TITLE = "Zona kinerja pengaduan simpul"  # never "the Ombudsman's zone": see the module docstring
THRESHOLDS_CROSSED = "zone thresholds: {red} ({red_value}) must not be above {green} ({green_value})"


@dataclass(frozen=True)
class ZoneThresholds:
    """Where the zones change. Red when any `red_*` bound is crossed; grey when neither follow-ups nor
    overdue reports could be measured; green when every measured share meets its `green_*` bound; yellow
    between. Defaults: hub settings `--zone-*`."""

    green_reachable: float = 0.9  # green: at least this share of units reachable,
    green_on_time: float = 0.8  # at least this share of follow-ups due made on time,
    green_overdue: float = 0.1  # and at most this share of reports past a deadline
    red_reachable: float = 0.5  # red: fewer units reachable than this share,
    red_on_time: float = 0.5  # or fewer follow-ups on time than this share,
    red_overdue: float = 0.3  # or more reports past a deadline than this share

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0 <= value <= 1:
                raise InvalidInput(f"zone thresholds: {f.name} must be a share between 0 and 1, not {value}")
        for red, green in (("red_reachable", "green_reachable"), ("red_on_time", "green_on_time"),
                           ("green_overdue", "red_overdue")):
            if getattr(self, red) > getattr(self, green):
                raise InvalidInput(THRESHOLDS_CROSSED.format(red=red, red_value=getattr(self, red), green=green,
                                                             green_value=getattr(self, green)))

    @classmethod
    def from_settings(cls, settings: HubSettings) -> ZoneThresholds:
        return cls(settings.zone_green_reachable, settings.zone_green_on_time, settings.zone_green_overdue,
                   settings.zone_red_reachable, settings.zone_red_on_time, settings.zone_red_overdue)


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
    """The zone of a unit or region. A share with nothing to measure is not counted as met: with neither
    follow-ups due nor timed reports the zone is GREY (red still, if the units cannot be reached)."""
    t = thresholds
    reachable, on_time, overdue = tally.reachable_share, tally.on_time_share, tally.overdue_share
    if ((reachable is not None and reachable < t.red_reachable)
            or (on_time is not None and on_time < t.red_on_time)
            or (overdue is not None and overdue > t.red_overdue)):
        return Zone.RED
    if on_time is None and overdue is None:
        return Zone.GREY
    if ((reachable is None or reachable >= t.green_reachable)
            and (on_time is None or on_time >= t.green_on_time)
            and (overdue is None or overdue <= t.green_overdue)):
        return Zone.GREEN
    return Zone.YELLOW
