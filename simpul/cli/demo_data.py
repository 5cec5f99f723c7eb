"""Demo federation data for `simpul demo`, read from the TOML file of the same name beside this module.

The data is data: nodes, the reports entered at their desks, the units declared
for connection coverage and the wrong-door story live in demo_data.toml, with
where they come from. Here they become typed
values; a level, kind, status or channel that is not one of simpul/wire.py's
enums stops the demo before anything starts.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from hub.coverage.register import Declaration
from simpul.report import ReportContent, Reporter
from simpul.wire import NodeIdentity, NodeLevel, ReportStatus

DATA = Path(__file__).with_suffix(".toml")
T = TypeVar("T")


class DemoDataError(Exception):
    """The demo's data file says something the demo cannot enter; the message names the entry."""


def demo_node(entry: Mapping[str, Any]) -> NodeIdentity:
    """A demo node: a desk (an agency's own complaint desk) at its unit."""
    return NodeIdentity(code=entry["code"], name=entry["name"], level=NodeLevel(entry["level"]), kind="desk",
                        region_code=entry["region_code"], parent_code=entry.get("parent_code"),
                        categories=tuple(entry["categories"]))


@dataclass(frozen=True)
class DemoStep:
    status: ReportStatus
    days_after: float  # days after the report was received
    note: str | None = None

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> DemoStep:
        return cls(ReportStatus(entry["status"]), float(entry["days_after"]), entry.get("note"))


@dataclass(frozen=True)
class DemoReport:
    node: str  # the desk it is entered at
    content: ReportContent
    reporter: Reporter
    received_at: datetime
    steps: tuple[DemoStep, ...]

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> DemoReport:
        received_at = entry["received_at"]
        if not isinstance(received_at, datetime) or received_at.tzinfo is None:
            raise DemoDataError(f"received_at {received_at!r} is not a time with its offset, like "
                                "2019-03-11T08:42:00+08:00")
        reporter = Reporter(anonymous=entry.get("anonymous", False), confidential=entry.get("confidential", False),
                            name=entry.get("reporter_name"), contact=entry.get("reporter_contact"))
        return cls(node=entry["node"], content=ReportContent.model_validate(entry), reporter=reporter,
                   received_at=received_at, steps=tuple(DemoStep.of(step) for step in entry.get("steps", ())))

    def desk_form(self) -> dict[str, Any]:
        """The body a desk's `POST /reports` takes (an officer's: a citizen's channel and time are the desk's)."""
        return {**self.content.model_dump(mode="json", by_alias=True, exclude_none=True),
                "receivedAt": self.received_at.isoformat(), "anonymous": self.reporter.anonymous,
                "confidential": self.reporter.confidential, "reporterName": self.reporter.name,
                "reporterContact": self.reporter.contact}


@dataclass(frozen=True)
class DemoUnit:
    """A unit that should be connected, declared as an admin would, and what the seed says it did."""

    declaration: Declaration
    outcome: ReportStatus  # COMPLETED: answered every report written to it; IN_PROCESS: still settling

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> DemoUnit:
        declaration = Declaration(name=entry["name"], region_code=entry["region_code"],
                                  legal_basis=entry["legal_basis"], node_code=entry.get("node_code"),
                                  sk_number=entry.get("sk_number"), sk_date=entry.get("sk_date"))
        return cls(declaration.checked(require_sk=False), ReportStatus(entry["outcome"]))


@dataclass(frozen=True)
class DemoData:
    nodes: tuple[NodeIdentity, ...]
    reports: tuple[DemoReport, ...]  # entered at their desks, then walked through their steps
    wrong_door: DemoReport  # entered at a desk that cannot handle it; the hub routes it to `handler`
    handler: str
    declared_units: tuple[DemoUnit, ...] = ()

    @classmethod
    def load(cls, path: Path = DATA) -> DemoData:
        try:
            with path.open("rb") as f:
                raw = tomllib.load(f)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise DemoDataError(f"cannot read the demo's data from {path}: {exc}") from None
        wrong_door = raw.get("wrong_door", {})
        return cls(nodes=tuple(_each(path, "nodes", raw.get("nodes", []), demo_node)),
                   reports=tuple(_each(path, "reports", raw.get("reports", []), DemoReport.of)),
                   wrong_door=_each(path, "wrong_door.report", [wrong_door.get("report", {})], DemoReport.of)[0],
                   handler=str(wrong_door.get("handler", "")),
                   declared_units=tuple(_each(path, "declared_units", raw.get("declared_units", []), DemoUnit.of)))


def _each(path: Path, table: str, entries: list[Mapping[str, Any]],
          read: Callable[[Mapping[str, Any]], T]) -> list[T]:
    """Every entry of `table`, read; DemoDataError names the one that is wrong, and how."""
    values = []
    for number, entry in enumerate(entries, 1):
        try:
            values.append(read(entry))
        except KeyError as exc:
            raise DemoDataError(f"{path}: {table} entry {number} has no {exc}") from None
        except (DemoDataError, ValueError) as exc:
            raise DemoDataError(f"{path}: {table} entry {number}: {exc}") from None
    return values
