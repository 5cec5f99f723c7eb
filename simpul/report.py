"""The canonical report, defined once: what a node answers, what the hub forwards, what the ledger keeps.

Every layer takes its shape from here: connectors build these models, the node contract and the hub's API
derive their GraphQL types from them (strawberry's pydantic integration), the hub and a child hub's connector
validate node answers with them and ask for exactly their fields (`selection`). A field added here reaches all
of them; docs/connectors.md ("Adding a field to the report") lists what else follows (a ledger column).

Field names are snake_case here and camelCase on the wire (the models accept and print both).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated, Any, Self, get_args, get_origin

import strawberry
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from simpul.errors import InvalidInput
from simpul.wire import Channel, ReportKind, ReportStatus, check_report_text

__all__ = [
    "ANONYMOUS_HAS_IDENTITY", "INFORMATION_REQUEST_NEEDS_IDENTITY", "AcceptResult", "Accepted", "Amendment", "Change",
    "ForwardedReport", "GlobalId", "NodeFailure",
    "Report", "ReportContent", "Reporter", "ServedReport", "StatsBucket", "TimelineEvent", "WireModel",
    "check_information_requester", "selection",
]

ANONYMOUS_HAS_IDENTITY = "an anonymous report keeps no name or contact"
INFORMATION_REQUEST_NEEDS_IDENTITY = (
    "a permintaan informasi (INFORMASI) cannot be anonymous: UU 14/2008 asks the requester's name and address "
    "(give the address as the reporter's contact)")

# A report's federation-wide id, `<node code>:<local id>`.
GlobalId = Annotated[strawberry.ID, Field(min_length=3, max_length=300)]


class WireModel(BaseModel):
    """Frozen, and read from the wire by camelCase alias as well as by field name."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, frozen=True,
                              hide_input_in_errors=True)  # an error message must never quote a reporter


@strawberry.pydantic.type
class Reporter(WireModel):
    """Who reported. Anonymous reports carry no identity at all; confidential (rahasia) ones carry it, but a node
    serves it masked, and only to the hub forwarding the report."""

    anonymous: bool = False
    confidential: bool = False
    name: str | None = None
    contact: str | None = None

    @model_validator(mode="after")
    def _anonymous_keeps_no_identity(self) -> Self:
        """The one place the rule is stated: a reporter who is anonymous has no name or contact (blank is none)."""
        if self.anonymous and ((self.name or "").strip() or (self.contact or "").strip()):
            raise ValueError(ANONYMOUS_HAS_IDENTITY)
        return self

    @classmethod
    def at_door(cls, anonymous: bool, confidential: bool, name: str | None, contact: str | None) -> Reporter:
        """The reporter a door's submission gives, as given; an anonymous one that gives an identity is refused
        (InvalidInput), not silently dropped."""
        try:
            return cls(anonymous=anonymous, confidential=confidential, name=name, contact=contact)
        except ValidationError:
            raise InvalidInput(ANONYMOUS_HAS_IDENTITY) from None

    def masked(self) -> Reporter:
        """As a node serves it to readers: no identity for an anonymous or confidential reporter."""
        if self.anonymous or self.confidential:
            return Reporter(anonymous=self.anonymous, confidential=self.confidential)
        return self

    def without_identity(self) -> Reporter:
        """Its flags only, as the hub keeps a reporter in the clear."""
        return Reporter(anonymous=self.anonymous, confidential=self.confidential) if self.has_identity() else self

    def has_identity(self) -> bool:
        return bool(self.name or self.contact)


@strawberry.pydantic.type
class TimelineEvent(WireModel):
    """One transition of a report; nothing is edited in place."""

    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None


class ReportContent(WireModel):
    """What a reporter wrote, as every door takes it: the fields the ledger and a desk keep as columns."""

    kind: ReportKind
    title: str
    body: str
    category: str
    region_code: str
    channel: Channel
    location: str | None = None

    def content(self) -> ReportContent:
        """What the reporter wrote, without where the report stands or how it travels."""
        return ReportContent.model_construct(**{name: getattr(self, name) for name in ReportContent.model_fields})


class Amendment(WireModel):
    """What an admin decided at verification, as the hub sends it to every node keeping a copy: the report's title,
    category and kind, and its flags; anonymous erases the reporter's name and contact there, for good."""

    title: str
    category: str
    kind: ReportKind
    anonymous: bool
    confidential: bool

    @model_validator(mode="after")
    def _as_every_door_takes_them(self) -> Self:
        check_report_text(self.title, self.title, self.category)  # the title stands in for the body it leaves alone
        return self


class Report(ReportContent):
    """A report as the node holding it has it. Lists are ordered by `received_at` descending, then local id."""

    local_id: str
    tracking_number: str
    status: ReportStatus
    reporter: Reporter
    received_at: AwareDatetime
    updated_at: AwareDatetime
    timeline: tuple[TimelineEvent, ...] = ()  # may be left empty in lists


class ServedReport(Report):
    """A report as a node serves it to the federation: named by its global id."""

    local_id: strawberry.ID
    id: GlobalId

    @classmethod
    def of(cls, node: str, report: Report, mask: bool = True) -> Self:
        """`report` of node `node`, its reporter masked unless the hub asks to forward it."""
        fields = dict(report)
        fields.update(id=strawberry.ID(f"{node}:{report.local_id}"), local_id=strawberry.ID(report.local_id),
                      reporter=report.reporter.masked() if mask else report.reporter)
        return cls.model_construct(**fields)  # a Report is valid already: no second validation per report read


class ForwardedReport(ReportContent):
    """A report another door received and the hub forwards to the unit with authority."""

    source_id: str  # the global id where it was first received
    tracking_number: str
    reporter: Reporter
    received_at: AwareDatetime


@strawberry.pydantic.type
class StatsBucket(WireModel):
    """A count for one combination of the requested dimensions (others None)."""

    count: int = Field(ge=0)
    status: ReportStatus | None = None
    kind: ReportKind | None = None
    category: str | None = None
    region_code: str | None = None


class Change(WireModel):
    """One entry of the append-only change feed the hub pulls."""

    cursor: str
    local_id: str
    tracking_number: str
    at: AwareDatetime
    status: ReportStatus
    actor: str
    note: str | None = None


class Accepted(WireModel):
    """A connector's answer to a forwarded report."""

    local_id: str
    tracking_number: str
    created: bool  # False when the idempotency key was seen before


@strawberry.pydantic.type
class AcceptResult(WireModel):
    """A forwarded report as recorded where it was sent: its global id there."""

    id: strawberry.ID = Field(min_length=1)
    tracking_number: str
    created: bool  # False when the idempotency key was seen before


class NodeFailure(WireModel):
    """A node below the one asked (a child hub's node) that gave no answer: the answer is partial."""

    node: str  # the code of the node that failed
    code: str  # NODE_UNAVAILABLE, NODE_TIMEOUT, ...
    message: str
    via: str | None = None  # hubs between the node asked and the failed one, '/'-separated, nearest first


def selection(model: type[BaseModel], omit: Collection[str] = ()) -> str:
    """The GraphQL selection set asking for `model`'s fields by their wire names, nested models in braces;
    `omit` names fields not asked for (`"timeline"`, `"reporter.name"`)."""
    parts: list[str] = []
    for name, field in model.model_fields.items():
        if name in omit:
            continue
        wire = field.validation_alias if isinstance(field.validation_alias, str) else field.alias or name
        nested = _model_of(field.annotation)
        if nested is None:
            parts.append(wire)
        else:
            inner = {o.partition(".")[2] for o in omit if o.startswith(f"{name}.")}
            parts.append(f"{wire} {{ {selection(nested, inner)} }}")
    return " ".join(parts)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds, alone, optional or in a list or tuple; None for a scalar."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation) if get_origin(annotation) is not None else ():
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def check_information_requester(kind: ReportKind, reporter: Reporter) -> None:
    """A permintaan informasi names its requester, name and address (UU 14/2008 art. 22(1)-(4)); every door
    refuses one without, rather than take a request the body could not lawfully answer."""
    if kind is ReportKind.INFORMASI and (
            reporter.anonymous or not (reporter.name or "").strip() or not (reporter.contact or "").strip()):
        raise InvalidInput(INFORMATION_REQUEST_NEEDS_IDENTITY)
