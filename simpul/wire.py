"""Vocabulary the hub and the nodes share on the wire: enums, region and node codes, ids and the checks of them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import strawberry

from simpul.errors import InvalidInput


@strawberry.enum
class ReportKind(StrEnum):
    PENGADUAN = "PENGADUAN"  # complaint about a public service; must get a follow-up
    ASPIRASI = "ASPIRASI"  # aspiration or suggestion
    INFORMASI = "INFORMASI"  # permintaan informasi, an information request


@strawberry.enum
class ReportStatus(StrEnum):
    RECEIVED = "RECEIVED"
    ON_HOLD = "ON_HOLD"  # tunda: unclear or incomplete, waiting for the reporter
    VERIFIED = "VERIFIED"
    FORWARDED = "FORWARDED"  # disposisi to a unit
    IN_PROCESS = "IN_PROCESS"  # tindak lanjut under way
    COMPLETED = "COMPLETED"  # selesai
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    ARCHIVED = "ARCHIVED"  # arsipkan: spam, out of scope, duplicate
    RETURNED = "RETURNED"  # bukan wewenang: passed back for re-routing


@strawberry.enum
class Channel(StrEnum):
    WEB = "WEB"
    SMS = "SMS"
    APP = "APP"
    DESK = "DESK"
    SOCIAL = "SOCIAL"
    API = "API"


@strawberry.enum
class NodeLevel(StrEnum):
    PUSAT = "PUSAT"
    PROVINSI = "PROVINSI"
    KABKOTA = "KABKOTA"
    UNIT = "UNIT"


@dataclass(frozen=True)
class NodeIdentity:
    """Who a node is in the federation: what its connector sends at enrolment and serves as `node`, and what the
    hub's registry keeps of it."""

    code: str
    name: str
    level: NodeLevel
    region_code: str
    kind: str
    parent_code: str | None = None
    categories: tuple[str, ...] = ()


@strawberry.enum
class Dimension(StrEnum):
    """What aggregate counts can be grouped by."""

    STATUS = "STATUS"
    KIND = "KIND"
    CATEGORY = "CATEGORY"
    REGION = "REGION"


@dataclass(frozen=True)
class FeedCheck:
    """What a node found in its own change feed after the cursor the hub last told it, sent with a heartbeat:
    the hub's rounds leave alone a node that says so, and pull it when it pokes (hub/forwarding/feeds.py)."""

    cursor: str | None  # the hub's watermark the node checked after; None: the hub had read nothing yet
    news: bool  # changes after it, or the feed no longer reaches it: the node has poked the hub


# Node kinds that take reports in but have no officer to verify or follow them up (the SMS 1708 door): the hub
# routes their reports on to a unit with authority and never makes them a report's handler.
INTAKE_KINDS = frozenset({"sms"})

MAX_PAGE = 500
MAX_KEY = 200  # characters of an idempotency key

# Origin ids of reports that did not come from a node's own door: entered at a hub, or forwarded from a parent hub.
HUB_ORIGIN = "hub:"  # 'hub:<tracking number>'
PARENT_ORIGIN = "parent:"  # 'parent:<the parent's origin id>'


def check_page_size(first: int, most: int = MAX_PAGE) -> int:
    """`first` if it asks for a page of 1 to `most` items."""
    if not 1 <= first <= most:
        raise InvalidInput(f"first must be between 1 and {most}")
    return first


TOKEN_ALREADY_USED = 409  # the hub's /enrol status for a spent token: a conflict the node explains to its operator
MAX_SEQUENCE = 2**63 - 1  # a PostgreSQL bigint, what change-feed sequence numbers are

# Matched whole (fullmatch): `$` would let a trailing newline through, and `\d` any script's digits.
_REGION = re.compile(r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?")
_NODE_CODE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


def check_idempotency_key(key: str, most: int = MAX_KEY, name: str = "idempotencyKey") -> str:
    """`key` if it has 8 to `most` characters, enough to be unique and few enough to index."""
    if not 8 <= len(key) <= most:
        raise InvalidInput(f"{name} must be 8 to {most} characters")
    return key


def check_region_code(code: str) -> str:
    """`code` if it has the dotted Kemendagri shape (`64`, `64.08`, `64.08.01`)."""
    if not _REGION.fullmatch(code):
        raise InvalidInput(f"invalid region code {code!r}: expected dotted Kemendagri form like 64.08")
    return code


def check_node_code(code: str) -> str:
    """`code` if it is a usable node code (lower case, digits, `.`, `_`, `-`)."""
    if not _NODE_CODE.fullmatch(code):
        raise InvalidInput(f"invalid node code {code!r}: use a-z, 0-9, '.', '_' or '-'")
    return code


def check_sequence_cursor(after: str | None, what: str = "change cursor") -> int:
    """The sequence number a change-feed cursor holds (0 for none): ASCII digits within a bigint."""
    if after is None:
        return 0
    if not (after.isascii() and after.isdigit()) or len(after) > 19 or int(after) > MAX_SEQUENCE:
        raise InvalidInput(f"invalid {what} {after!r}")
    return int(after)


def check_aware_time(value: datetime, field: str) -> datetime:
    """`value` if it has a timezone and can be stated in UTC (years 1 to 9999), as PostgreSQL needs."""
    if value.tzinfo is None:
        raise InvalidInput(f"{field} needs a timezone, e.g. 2024-01-31T00:00:00+07:00")
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{field} must lie within the years 1 to 9999 in UTC") from None
    return value


def check_report_text(title: str, body: str, category: str) -> None:
    """The limits every door applies to what a reporter writes."""
    if not title.strip() or len(title) > 200:
        raise InvalidInput("title must be 1 to 200 characters")
    if not body.strip() or len(body) > 20000:
        raise InvalidInput("body must be 1 to 20000 characters")
    if not category.strip() or len(category) > 100:
        raise InvalidInput("category must be 1 to 100 characters")
    if "\x00" in title + body + category:
        raise InvalidInput("text must not contain NUL characters")


def in_region(code: str, prefix: str) -> bool:
    """Whether region `code` lies in the subtree rooted at `prefix`."""
    return code == prefix or code.startswith(prefix + ".")


def global_id(node: str, local_id: str) -> str:
    return f"{node}:{local_id}"


def split_global_id(report_id: str) -> tuple[str, str]:
    """(node code, local id) of a global report id `<node>:<local id>`."""
    node, sep, local = report_id.partition(":")
    if not sep or not node or not local:
        raise InvalidInput(f"invalid report id {report_id!r}: expected <node>:<local id>")
    return node, local
