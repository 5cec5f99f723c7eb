"""Verifikasi: an admin retitles or reclassifies a report and may set anonim or rahasia; routing is asked again.

DOMAIN.md: the admin writes the title, picks the category and "may set either [anonim or rahasia] at
verification even if the reporter did not". The edit is the ledger's at once and reaches every node keeping a
copy through the outbox (Purpose.AMEND), once per node; anonim erases the reporter's name and contact there and
the hub's sealed copy here, so it is never undone. After a new category or kind the routing rules decide again:
when they name another unit, it takes the report as a disposisi would (its clock starts afresh); either way the
decision joins the report's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import asyncpg

from hub.access.principal import Principal
from hub.audit import record
from hub.forwarding.ledger import Ledger, LedgerEvent, Purpose, Routing, add_event, lock_report, queue_delivery
from hub.forwarding.routing import Decision
from simpul.errors import InvalidInput
from simpul.report import INFORMATION_REQUEST_NEEDS_IDENTITY
from simpul.wire import ReportKind, ReportStatus, check_report_text

NO_EDITS = "verifyReport needs at least one edit: title, category, kind, anonymous or confidential"
NOTHING_CHANGES = "the edits change nothing in report {}: it already reads so"
FINISHED = "report {} is {}: a finished report is not verified again"
SETTLED = "report {} is selesai (since {}): a finished report is not verified again"
ANONIM_FOR_GOOD = ("report {} is anonim: its reporter's name and contact were erased, so anonymous cannot be set "
                   "back to false")
UNKNOWN_CATEGORY = ("unknown category {!r}: a category is one a routing rule, an enrolled unit or a report in the "
                    "ledger already names (add a routing rule for a new one)")
NOTE_LIMIT = 2000

# Statuses after which a report is not verified again (besides selesai, the ledger's settled_at).
FINISHED_STATUSES = frozenset({ReportStatus.CLOSED, ReportStatus.ARCHIVED, ReportStatus.REJECTED})

_KNOWN_CATEGORY = """
SELECT EXISTS (SELECT 1 FROM routing_rules WHERE category = $1)
    OR EXISTS (SELECT 1 FROM nodes WHERE $1 = ANY (categories))
    OR EXISTS (SELECT 1 FROM ledger WHERE category = $1)
"""

# Every node keeping a copy of the report, or about to: the door it came through, each unit the hub delivered it
# to, and one a delivery is under way to (a worker may have read the report before this edit).
_COPIES = """
SELECT origin_node AS node FROM ledger WHERE tracking_number = $1 AND origin_node IS NOT NULL
UNION
SELECT target_node FROM deliveries WHERE tracking_number = $1 AND purpose = 'ACCEPT' AND state IN ('DONE', 'PENDING')
"""

# Where the report is now or is on its way to.
_BOUND_FOR = """
SELECT target_node FROM deliveries WHERE tracking_number = $1 AND purpose = 'ACCEPT' AND state = 'PENDING'
ORDER BY id DESC LIMIT 1
"""


@dataclass(frozen=True)
class Classification:
    """What verification may set: the report's title, category and kind, and its reporter's flags."""

    title: str
    category: str
    kind: ReportKind
    anonymous: bool
    confidential: bool

    @classmethod
    def of(cls, row: asyncpg.Record) -> Classification:
        return cls(row["title"], row["category"], ReportKind(row["kind"]), row["anonymous"], row["confidential"])

    def changed_from(self, before: Classification) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) != getattr(before, f.name)]


@dataclass(frozen=True)
class Edits:
    """An admin's edits; None leaves a field as it is."""

    title: str | None = None
    category: str | None = None
    kind: ReportKind | None = None
    anonymous: bool | None = None
    confidential: bool | None = None

    def applied_to(self, before: Classification) -> Classification:
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        if not given:
            raise InvalidInput(NO_EDITS)
        for text in ("title", "category"):
            if text in given:
                given[text] = given[text].strip()
        return replace(before, **given)


@dataclass(frozen=True)
class Verified:
    """The report as verification left it, and where the rules send it (None: its category and kind stand)."""

    tracking_number: str
    classification: Classification
    changed: list[str]
    routing: Decision | None
    rerouted: bool


class Verification:
    """Verification edits, for an admin of the report's region."""

    def __init__(self, pool: asyncpg.Pool, ledger: Ledger) -> None:
        self.pool = pool
        self.ledger = ledger

    async def verify(self, admin: Principal, tracking_number: str, edits: Edits, note: str | None) -> Verified:
        note = (note or "").strip() or None
        if note is not None and (len(note) > NOTE_LIMIT or "\x00" in note):
            raise InvalidInput(f"a verification note is at most {NOTE_LIMIT} characters, without NUL")
        async with self.pool.acquire() as conn, conn.transaction():
            row = await lock_report(conn, tracking_number)
            admin.require(row["region_code"], "verify reports")
            if row["settled_at"] is not None:
                raise InvalidInput(SETTLED.format(tracking_number, row["settled_at"].isoformat()))
            if row["status"] in FINISHED_STATUSES:
                raise InvalidInput(FINISHED.format(tracking_number, row["status"]))
            before = Classification.of(row)
            after = edits.applied_to(before)
            await self._check(conn, tracking_number, row["body"], before, after)
            changed = after.changed_from(before)
            await conn.execute(
                "UPDATE ledger SET title = $2, category = $3, kind = $4, anonymous = $5, confidential = $6,"
                " sealed_identity = CASE WHEN $5 THEN NULL ELSE sealed_identity END, updated_at = now()"
                " WHERE tracking_number = $1", tracking_number, after.title, after.category, after.kind.value,
                after.anonymous, after.confidential)
            decision = None
            rerouted = False
            if {"category", "kind"} & set(changed):
                decision = await self.ledger.decide_again(conn, tracking_number)
                rerouted = await self._bound_elsewhere(conn, row, decision)
            await add_event(conn, tracking_number, LedgerEvent.VERIFIED, node=row["holder_node"], public=False,
                            note=_timeline_note(admin, changed, decision, rerouted, note))
            edit = await _edit_count(conn, tracking_number)
            for copy in await conn.fetch(_COPIES, tracking_number):
                await queue_delivery(conn, tracking_number, Purpose.AMEND, copy["node"],
                                     f"{tracking_number}:amend:{edit}:{copy['node']}")
            if decision is not None and rerouted:
                assert decision.target is not None
                await self.ledger.place(conn, tracking_number, replace(
                    decision, reason=f"verifikasi by {admin.name}: {decision.reason}"), event=LedgerEvent.REASSIGNED)
            # Never the reporter: the flags, the title and classification before and after.
            await record(conn, admin, "REPORT_VERIFIED", f"report {tracking_number}", row["region_code"], {
                "before": {name: _plain(getattr(before, name)) for name in changed},
                "after": {name: _plain(getattr(after, name)) for name in changed},
                "note": note, "rerouted": rerouted,
                **({"routing": decision.audit_detail()} if decision is not None else {})})
        return Verified(tracking_number, after, changed, decision, rerouted)

    async def _check(self, conn: asyncpg.Connection, tracking_number: str, body: str, before: Classification,
                     after: Classification) -> None:
        """Refuse an edit a door would refuse, one that changes nothing, and one that would bring a name back."""
        check_report_text(after.title, body, after.category)
        if not after.changed_from(before):
            raise InvalidInput(NOTHING_CHANGES.format(tracking_number))
        if before.anonymous and not after.anonymous:
            raise InvalidInput(ANONIM_FOR_GOOD.format(tracking_number))
        if after.kind is ReportKind.INFORMASI and after.anonymous:
            raise InvalidInput(INFORMATION_REQUEST_NEEDS_IDENTITY)
        if after.category != before.category and not await conn.fetchval(_KNOWN_CATEGORY, after.category):
            raise InvalidInput(UNKNOWN_CATEGORY.format(after.category))

    async def _bound_elsewhere(self, conn: asyncpg.Connection, row: asyncpg.Record, decision: Decision) -> bool:
        """Whether the rules now name a unit other than the one holding the report (or about to): a report no
        rule can place stays where it is, never goes to nowhere."""
        if decision.target is None:
            return False
        if row["routing"] == Routing.FORWARDING:
            current = await conn.fetchval(_BOUND_FOR, row["tracking_number"])
        elif row["routing"] == Routing.HELD:
            current = row["holder_node"]
        else:  # DEAD or UNROUTABLE: any unit the rules name now is better than none
            current = None
        return bool(decision.target.code != current)


async def _edit_count(conn: asyncpg.Connection, tracking_number: str) -> int:
    """How many verifications the report has had, this one included: each sends its own edits once per node."""
    return int(await conn.fetchval("SELECT count(*) FROM ledger_events WHERE tracking_number = $1 AND type = $2",
                                   tracking_number, LedgerEvent.VERIFIED))


def _plain(value: object) -> object:
    return value.value if isinstance(value, ReportKind) else value


def _timeline_note(admin: Principal, changed: list[str], decision: Decision | None, rerouted: bool,
                   note: str | None) -> str:
    """What the report's internal timeline says of a verification: who, what changed, where the rules send it."""
    said = [f"by {admin.name}: {', '.join(changed)} changed"]
    if decision is not None:
        target = decision.target.code if decision.target else None
        if rerouted:
            said.append(f"routing: to {target} ({decision.reason})")
        elif target is None:
            said.append(f"routing: no unit for the new classification, it stays ({decision.reason})")
        else:
            said.append(f"routing: stays with {target} ({decision.reason})")
    if note:
        said.append(note)
    return "; ".join(said)
