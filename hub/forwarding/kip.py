"""Permintaan informasi under UU 14/2008 (KIP): the extension, the answer and the objection, on the ledger.

Art. 22(7)-(8): the body answers in writing within 10 working days of the request, and may extend that once,
by at most 7 working days, with written reasons given before the 10 days end. The answer grants the request,
refuses it with the exemption (art. 17) that applies, or says the information is not held. A requester may
object (keberatan, art. 35-36) within 30 working days, and the PPID's superior answers within 30 working days;
the Komisi Informasi (art. 37) comes after, outside simpul. The SLA clock (hub/sla/clocks.py, Stage.INFORMATION
and Stage.OBJECTION) reads them from the ledger row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import asyncpg
import strawberry

from hub.access.principal import Principal
from hub.audit import record
from hub.forwarding.ledger import LedgerEvent, add_event, lock_report
from hub.sla.calendar import load_calendar
from hub.sla.clocks import SlaDays
from simpul.errors import InvalidInput
from simpul.wire import ReportKind

NOT_AN_INFORMATION_REQUEST = "report {} is a {}, not a permintaan informasi (INFORMASI)"
EXTENSION_NEEDS_REASON = "an extension needs a written reason (UU 14/2008 art. 22(8))"
EXTENSION_TOO_LONG = "an extension may add 1 to {} working days, not {}"
EXTENDED_ONCE = "report {} was extended already: KIP allows one extension"
EXTENDED_TOO_LATE = "the {} working days to answer report {} ended {}: an extension must be given before"
ANSWERED_ALREADY = "report {} was answered already ({})"
REFUSAL_NEEDS_EXEMPTION = "a refusal names the exemption that applies (UU 14/2008 art. 17)"
ANSWER_NEEDS_TEXT = "an answer needs its written text"
OBJECTION_NEEDS_REASON = "an objection (keberatan) states its reason (UU 14/2008 art. 35)"
OBJECTED_ONCE = "report {} has an objection already"
OBJECTION_TOO_EARLY = "report {} is neither answered nor past its deadline: nothing to object to yet"
OBJECTION_TOO_LATE = "the {} working days to object to report {} ended {} (UU 14/2008 art. 36(1))"
NO_OBJECTION = "report {} has no objection to answer"
OBJECTION_ANSWERED_ALREADY = "the objection to report {} was answered already"


@strawberry.enum(description="What a written answer to a permintaan informasi says (UU 14/2008 art. 22(7)).")
class InformationOutcome(StrEnum):
    GRANTED = "GRANTED"  # the information is given, in whole or in part
    REFUSED = "REFUSED"  # refused, with the exemption that applies
    NOT_HELD = "NOT_HELD"  # the body does not hold the information


class InformationRequests:
    """Extends and answers information requests, for an admin of the report's region (the PPID's admin)."""

    def __init__(self, pool: asyncpg.Pool, days: SlaDays) -> None:
        self.pool = pool
        self.days = days

    async def _request(self, conn: asyncpg.Connection, actor: Principal, tracking_number: str,
                       action: str) -> asyncpg.Record:
        row = await lock_report(conn, tracking_number)
        actor.require(row["region_code"], action)
        if row["kind"] != ReportKind.INFORMASI:
            raise InvalidInput(NOT_AN_INFORMATION_REQUEST.format(tracking_number, row["kind"]))
        return row

    async def _unanswered(self, conn: asyncpg.Connection, actor: Principal, tracking_number: str,
                          action: str) -> asyncpg.Record:
        row = await self._request(conn, actor, tracking_number, action)
        if row["kip_answered_at"] is not None:
            raise InvalidInput(ANSWERED_ALREADY.format(tracking_number, row["kip_outcome"]))
        return row

    async def _deadline(self, conn: asyncpg.Connection, row: asyncpg.Record, working_days: int,
                        start: datetime) -> datetime:
        """`working_days` after `start` on the holding unit's calendar."""
        region = await conn.fetchval("SELECT region_code FROM nodes WHERE code = $1", row["holder_node"])
        calendar = await load_calendar(conn, self.days.cuti_bersama_days_off)
        return calendar.deadline(start, working_days, region or row["region_code"])

    async def extend(self, actor: Principal, tracking_number: str, working_days: int, reason: str,
                     at: datetime | None = None) -> None:
        """The one extension, with its reason, before the first period ends."""
        at = at or datetime.now(UTC)
        if not reason.strip():
            raise InvalidInput(EXTENSION_NEEDS_REASON)
        if not 1 <= working_days <= self.days.information_extension:
            raise InvalidInput(EXTENSION_TOO_LONG.format(self.days.information_extension, working_days))
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._unanswered(conn, actor, tracking_number, "extend information requests")
            if row["kip_extension_days"]:
                raise InvalidInput(EXTENDED_ONCE.format(tracking_number))
            first_deadline = await self._deadline(conn, row, self.days.information, row["received_at"])
            if at >= first_deadline:
                raise InvalidInput(EXTENDED_TOO_LATE.format(self.days.information, tracking_number,
                                                            first_deadline.isoformat()))
            await conn.execute("UPDATE ledger SET kip_extension_days = $2, kip_extension_reason = $3,"
                               " updated_at = now() WHERE tracking_number = $1",
                               tracking_number, working_days, reason.strip())
            await add_event(conn, tracking_number, LedgerEvent.KIP_EXTENDED, node=row["holder_node"],
                            note=f"{working_days} working days: {reason.strip()}", at=at)
            await record(conn, actor, "INFORMATION_EXTENDED", f"report {tracking_number}", row["region_code"],
                         {"workingDays": working_days})

    async def answer(self, actor: Principal, tracking_number: str, outcome: InformationOutcome, text: str,
                     exemption: str | None = None, at: datetime | None = None) -> None:
        """The written answer and what it decides; it stops the KIP clock."""
        at = at or datetime.now(UTC)
        if not text.strip():
            raise InvalidInput(ANSWER_NEEDS_TEXT)
        exemption = (exemption or "").strip() or None
        if outcome is InformationOutcome.REFUSED and exemption is None:
            raise InvalidInput(REFUSAL_NEEDS_EXEMPTION)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._unanswered(conn, actor, tracking_number, "answer information requests")
            await conn.execute("UPDATE ledger SET kip_answered_at = $2, kip_outcome = $3, kip_exemption = $4,"
                               " updated_at = now() WHERE tracking_number = $1",
                               tracking_number, max(at, row["received_at"]), outcome.value, exemption)
            note = f"{outcome.value}" + (f" ({exemption})" if exemption else "") + f": {text.strip()}"
            await add_event(conn, tracking_number, LedgerEvent.KIP_ANSWERED, node=row["holder_node"], note=note,
                            public=False, at=max(at, row["received_at"]))
            await record(conn, actor, "INFORMATION_ANSWERED", f"report {tracking_number}", row["region_code"],
                         {"outcome": outcome.value, **({"exemption": exemption} if exemption else {})})

    async def object(self, actor: Principal, tracking_number: str, reason: str, at: datetime | None = None) -> None:
        """Register the requester's objection (keberatan) to the PPID's superior: once, after the answer (or after
        the deadline passed unanswered), within the objection window; it starts the superior's clock."""
        at = at or datetime.now(UTC)
        if not reason.strip():
            raise InvalidInput(OBJECTION_NEEDS_REASON)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._request(conn, actor, tracking_number, "register objections")
            if row["kip_objected_at"] is not None:
                raise InvalidInput(OBJECTED_ONCE.format(tracking_number))
            grounds = row["kip_answered_at"] or await self._deadline(
                conn, row, self.days.information + row["kip_extension_days"], row["received_at"])
            if at < grounds:
                raise InvalidInput(OBJECTION_TOO_EARLY.format(tracking_number))
            window = await self._deadline(conn, row, self.days.objection, grounds)
            if at >= window:
                raise InvalidInput(OBJECTION_TOO_LATE.format(self.days.objection, tracking_number, window.isoformat()))
            await conn.execute("UPDATE ledger SET kip_objected_at = $2, kip_objection_reason = $3, updated_at = now()"
                               " WHERE tracking_number = $1", tracking_number, at, reason.strip())
            await add_event(conn, tracking_number, LedgerEvent.KIP_OBJECTED, node=row["holder_node"],
                            note=reason.strip(), public=False, at=at)
            await record(conn, actor, "INFORMATION_OBJECTED", f"report {tracking_number}", row["region_code"], {})

    async def answer_objection(self, actor: Principal, tracking_number: str, text: str,
                               at: datetime | None = None) -> None:
        """The superior's written response to the objection; it stops the superior's clock."""
        at = at or datetime.now(UTC)
        if not text.strip():
            raise InvalidInput(ANSWER_NEEDS_TEXT)
        async with self.pool.acquire() as conn, conn.transaction():
            row = await self._request(conn, actor, tracking_number, "answer objections")
            if row["kip_objected_at"] is None:
                raise InvalidInput(NO_OBJECTION.format(tracking_number))
            if row["kip_objection_answered_at"] is not None:
                raise InvalidInput(OBJECTION_ANSWERED_ALREADY.format(tracking_number))
            answered = max(at, row["kip_objected_at"])
            await conn.execute("UPDATE ledger SET kip_objection_answered_at = $2, updated_at = now()"
                               " WHERE tracking_number = $1", tracking_number, answered)
            await add_event(conn, tracking_number, LedgerEvent.KIP_OBJECTION_ANSWERED, node=row["holder_node"],
                            note=text.strip(), public=False, at=answered)
            await record(conn, actor, "INFORMATION_OBJECTION_ANSWERED", f"report {tracking_number}",
                         row["region_code"], {})
