"""The node contract as a reusable test suite: any connector proves it serves the contract.

Subclass `ConnectorContract` in a pytest module and give it a `harness`
fixture: a started connector over a fresh, empty backing system, plus the
two things only you know how to do in that system (enter a report; move it
to a status). Every built-in kind runs this same suite.

    class TestMyConnector(ConnectorContract):
        @pytest.fixture
        async def harness(self) -> AsyncIterator[Harness]:
            ...  # start the system (or a fake that speaks its real protocol)
            yield MyHarness(connector)
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Protocol

from strawberry.types import ExecutionResult

from connectors.base import (
    NO_AMENDMENTS,
    Change,
    Channel,
    Connector,
    ConnectorError,
    Dimension,
    ForwardedReport,
    Keyset,
    Report,
    Reporter,
    ReportFilter,
    ReportKind,
    ReportStatus,
    TakesAmendments,
)
from connectors.contract import NodeContext, node_schema

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class SeedReport:
    """A report the suite asks the backing system to hold, as its own users would enter it."""

    def __init__(self, title: str, received_at: datetime, category: str = "jalan", region_code: str = "64.08",
                 kind: ReportKind = ReportKind.PENGADUAN) -> None:
        self.title = title
        self.body = f"Isi laporan: {title}."
        self.category = category
        self.region_code = region_code
        self.kind = kind
        self.received_at = received_at


class Harness(Protocol):
    connector: Connector
    accepts_forwarded: bool  # False for systems that cannot take reports from elsewhere

    async def add_report(self, report: SeedReport) -> str:
        """Enter `report` in the backing system; return the connector's local id for it."""

    async def set_status(self, local_id: str, status: ReportStatus, note: str | None) -> None:
        """Make the backing system show `status` for the report, by whatever steps it needs."""


def _key(report: Report) -> tuple[datetime, bytes]:
    return (report.received_at, report.local_id.encode())


async def _seed(harness: Harness) -> list[str]:
    """Nine reports: three at one instant (the id decides their order), categories and regions mixed."""
    seeds = [
        SeedReport("Jalan rusak", T0 - timedelta(minutes=1)),
        SeedReport("Lampu jalan mati", T0, category="penerangan"),
        SeedReport("Puskesmas tutup", T0, category="kesehatan", region_code="64.08.04"),
        SeedReport("Sampah menumpuk", T0, category="kebersihan", region_code="64.01"),
        SeedReport("Saran taman kota", T0 - timedelta(hours=2), kind=ReportKind.ASPIRASI),
        SeedReport("Minta data anggaran", T0 - timedelta(days=1), kind=ReportKind.INFORMASI),
        SeedReport("Jembatan retak", T0 - timedelta(days=3), region_code="64.01"),
        SeedReport("Air PDAM keruh", T0 + timedelta(minutes=5), category="air"),
        SeedReport("Antrean KTP", T0 - timedelta(days=10), category="kependudukan"),
    ]
    return [await harness.add_report(seed) for seed in seeds]


async def _all(connector: Connector, filter: ReportFilter = ReportFilter(), page: int = 100) -> list[Report]:
    reports: list[Report] = []
    after: Keyset | None = None
    while True:
        batch = await connector.list_reports(filter, after, page)
        reports.extend(batch)
        if len(batch) < page:
            return reports
        after = Keyset(batch[-1].received_at, batch[-1].local_id)


async def _feed(connector: Connector, after: str | None = None) -> list[Change]:
    changes: list[Change] = []
    while True:
        batch = await connector.changes(after, 50)
        changes.extend(batch)
        if len(batch) < 50:
            return changes
        after = batch[-1].cursor


class ConnectorContract:
    """The node contract, test by test; pytest collects the subclasses named Test*."""

    async def test_it_says_who_it_is_and_that_its_system_answers(self, harness: Harness) -> None:
        assert harness.connector.identity.code
        assert (await harness.connector.health()).ok

    async def test_lists_newest_first_and_pages_without_gaps_or_duplicates(self, harness: Harness) -> None:
        ids = await _seed(harness)
        everything = await _all(harness.connector)
        assert sorted(r.local_id for r in everything) == sorted(ids)
        assert [r.local_id for r in everything] == [
            r.local_id for r in sorted(everything, key=lambda r: (-r.received_at.timestamp(), r.local_id.encode()))]
        for page in (1, 2, 4):
            paged = await _all(harness.connector, page=page)
            assert [r.local_id for r in paged] == [r.local_id for r in everything], f"pages of {page}"

        at_t0 = [r for r in everything if r.received_at == T0]
        assert len(at_t0) == 3
        strictly_older = await harness.connector.list_reports(ReportFilter(), Keyset(T0, None), 100)
        assert all(r.received_at < T0 for r in strictly_older) and len(strictly_older) == 5
        from_t0 = await harness.connector.list_reports(ReportFilter(), Keyset(T0, ""), 100)
        assert [r.local_id for r in from_t0[:3]] == [r.local_id for r in at_t0]

    async def test_every_filter_narrows_the_list(self, harness: Harness) -> None:
        ids = await _seed(harness)
        connector = harness.connector
        assert {r.title for r in await _all(connector, ReportFilter(categories=("kesehatan",)))} == {
            "Puskesmas tutup"}
        assert {r.title for r in await _all(connector, ReportFilter(region_prefix="64.01"))} == {
            "Sampah menumpuk", "Jembatan retak"}
        assert {r.title for r in await _all(connector, ReportFilter(kinds=(ReportKind.ASPIRASI,)))} == {
            "Saran taman kota"}
        window = ReportFilter(received_from=T0 - timedelta(hours=3), received_to=T0)
        assert {r.title for r in await _all(connector, window)} == {"Jalan rusak", "Saran taman kota"}
        await harness.set_status(ids[0], ReportStatus.COMPLETED, "Jalan sudah ditambal.")
        done = await _all(connector, ReportFilter(statuses=(ReportStatus.COMPLETED,)))
        assert [r.local_id for r in done] == [ids[0]]

    async def test_one_report_comes_with_its_timeline(self, harness: Harness) -> None:
        ids = await _seed(harness)
        await harness.set_status(ids[1], ReportStatus.COMPLETED, "Lampu sudah diganti.")
        report = await harness.connector.get_report(ids[1])
        assert report is not None and report.status is ReportStatus.COMPLETED
        assert report.tracking_number and report.title == "Lampu jalan mati"
        assert report.timeline and report.timeline[-1].status is ReportStatus.COMPLETED
        assert await harness.connector.get_report("no-such-report") is None

    async def test_counts_agree_with_the_list(self, harness: Harness) -> None:
        ids = await _seed(harness)
        await harness.set_status(ids[2], ReportStatus.COMPLETED, "Jam layanan dipulihkan.")
        listed = await _all(harness.connector)
        buckets = await harness.connector.count_reports(ReportFilter(), (Dimension.STATUS, Dimension.CATEGORY), 2)
        counted = Counter({(b.status, b.category): b.count for b in buckets})
        assert counted == Counter((r.status, r.category) for r in listed)
        by_region = await harness.connector.count_reports(ReportFilter(), (Dimension.REGION,), 2)
        assert {b.region_code: b.count for b in by_region} == {"64.08": 7, "64.01": 2}

    async def test_the_change_feed_carries_every_report_and_each_later_change_once(self, harness: Harness) -> None:
        ids = await _seed(harness)
        first = await _feed(harness.connector)
        assert {c.local_id for c in first} == set(ids)
        await harness.set_status(ids[3], ReportStatus.COMPLETED, "Sampah sudah diangkut.")
        later = await _feed(harness.connector, first[-1].cursor)
        assert [c.status for c in later if c.local_id == ids[3]][-1:] == [ReportStatus.COMPLETED]
        assert {c.cursor for c in first}.isdisjoint(c.cursor for c in later)
        assert await _feed(harness.connector, (later or first)[-1].cursor) == []

    async def test_a_forwarded_report_is_accepted_once_per_key(self, harness: Harness) -> None:
        report = ForwardedReport(
            source_id="65:9", tracking_number="65-000009", kind=ReportKind.PENGADUAN, title="Puskesmas tutup siang",
            body="Diteruskan dari meja Kaltara.", category="kesehatan", region_code="64.08", channel=Channel.SMS,
            reporter=Reporter(anonymous=True), received_at=T0,
        )
        if not harness.accepts_forwarded:
            try:
                await harness.connector.accept_report("delivery-65-9", report)
            except ConnectorError:
                return
            raise AssertionError("a connector that cannot accept forwarded reports must say so")
        first = await harness.connector.accept_report("delivery-65-9", report)
        again = await harness.connector.accept_report("delivery-65-9", report)
        assert first.created and not again.created and again.local_id == first.local_id
        listed = await _all(harness.connector)
        assert [r.tracking_number for r in listed].count("65-000009") == 1

    async def test_it_is_served_over_the_node_contract(self, harness: Harness) -> None:
        await _seed(harness)
        code = harness.connector.identity.code
        result = await node_schema().execute(
            "{ node { code } reports(first: 2) { reports { id trackingNumber status } hasMore }"
            " stats(groupBy: [KIND]) { kind count } health { ok } }",
            context_value=NodeContext(connector=harness.connector),
        )
        assert result.errors is None, result.errors
        assert result.data is not None
        assert result.data["node"] == {"code": code}
        assert all(r["id"].startswith(f"{code}:") for r in result.data["reports"]["reports"])
        assert result.data["reports"]["hasMore"] is True
        assert sum(b["count"] for b in result.data["stats"]) == 9

    async def test_verification_edits_are_applied_once_or_refused_with_a_reason(self, harness: Harness) -> None:
        local_id = await harness.add_report(SeedReport("jln rusak", T0))
        code = harness.connector.identity.code
        amend = ("mutation($id: ID!, $key: String!, $a: AmendmentInput!) {"
                 " amendReport(id: $id, idempotencyKey: $key, amendment: $a) }")
        edits = {"title": "Jalan berlubang di Jl. Juanda", "category": "infrastruktur", "kind": "ASPIRASI",
                 "anonymous": True, "confidential": True}

        async def send(key: str, amendment: dict[str, object]) -> ExecutionResult:
            return await node_schema().execute(amend, {"id": f"{code}:{local_id}", "key": key, "a": amendment},
                                               context_value=NodeContext(connector=harness.connector))

        result = await send("LPR-X:amend:1:node", edits)
        if not isinstance(harness.connector, TakesAmendments):
            assert [e.message for e in result.errors or []] == [NO_AMENDMENTS]
            return
        assert result.errors is None, result.errors
        # The same key again (a delivery repeated) changes nothing, even with other values.
        again = await send("LPR-X:amend:1:node", {**edits, "title": "Judul lain", "anonymous": False})
        assert again.errors is None, again.errors
        found = await harness.connector.get_report(local_id)
        assert found is not None
        assert (found.title, found.category, found.kind) == (edits["title"], "infrastruktur", ReportKind.ASPIRASI)
        assert found.reporter == Reporter(anonymous=True, confidential=True)
        # Anonim stays: a later edit saying otherwise brings no name back.
        await send("LPR-X:amend:2:node", {**edits, "anonymous": False, "confidential": False})
        later = await harness.connector.get_report(local_id)
        assert later is not None and later.reporter == Reporter(anonymous=True, confidential=False)
