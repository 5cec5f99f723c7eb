"""The report, defined once: its rules, the selections generated from it, and the places that must follow it
(SQL columns, every GraphQL document sent between hub, nodes and child hubs), checked without starting a hub."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import asyncpg
import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    coerce_input_value,
    parse,
    validate,
)
from pydantic import ValidationError

import connectors.hub.wire as child_wire
import hub.federation.nodewire as nodewire
from connectors.hub.connector import _forwarded
from connectors.hub.wire import ChildReport
from hub.db.migrate import migrate_hub
from hub.forwarding.delivery import _forwarded_report
from hub.forwarding.sealing import Identity
from hub.settings import SCHEMA as HUB_SCHEMA
from simpul.db.migrate import migrate
from simpul.errors import InvalidInput
from simpul.report import ForwardedReport, Report, ReportContent, Reporter, ServedReport, selection
from simpul.wire import Channel, ReportKind, ReportStatus

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
CONTENT = ReportContent(kind=ReportKind.PENGADUAN, title="Jalan berlubang", body="Di depan pasar.",
                        category="jalan", region_code="64.08", channel=Channel.WEB)


def _report(reporter: Reporter) -> Report:
    return Report(**dict(CONTENT), local_id="7", tracking_number="64.08-7", status=ReportStatus.RECEIVED,
                  reporter=reporter, received_at=AT, updated_at=AT)


def test_an_anonymous_reporter_cannot_hold_an_identity() -> None:
    with pytest.raises(ValidationError, match="keeps no name or contact"):
        Reporter(anonymous=True, name="Siti")
    with pytest.raises(ValidationError, match="keeps no name or contact"):
        Reporter.model_validate({"anonymous": True, "contact": "0812"})
    assert Reporter(anonymous=True, name="  ").anonymous, "a blank is no identity"


def test_a_door_refuses_an_anonymous_report_that_names_its_reporter() -> None:
    with pytest.raises(InvalidInput, match="keeps no name or contact"):
        Reporter.at_door(anonymous=True, confidential=False, name="Siti", contact=None)
    given = Reporter.at_door(anonymous=False, confidential=True, name="Siti", contact="0812")
    assert (given.name, given.contact, given.confidential) == ("Siti", "0812", True)


def test_readers_see_no_identity_of_a_confidential_reporter_and_all_of_an_open_one() -> None:
    confidential = Reporter(confidential=True, name="Siti", contact="0812")
    assert confidential.masked() == Reporter(confidential=True)
    open_one = Reporter(name="Budi", contact="0813")
    assert open_one.masked() == open_one
    assert open_one.without_identity() == Reporter()


def test_a_node_serves_its_report_by_global_id_masked_unless_forwarding() -> None:
    report = _report(Reporter(confidential=True, name="Siti", contact="0812"))
    served = ServedReport.of("64.08", report)
    assert (served.id, served.local_id, served.title) == ("64.08:7", "7", "Jalan berlubang")
    assert served.reporter == Reporter(confidential=True)
    assert ServedReport.of("64.08", report, mask=False).reporter.name == "Siti"
    assert report.content() == CONTENT


def test_a_selection_asks_for_every_field_by_its_wire_name_less_what_is_omitted() -> None:
    listed = selection(ServedReport, omit=("timeline", "reporter.name", "reporter.contact"))
    assert listed.split() == [
        "kind", "title", "body", "category", "regionCode", "channel", "location", "localId", "trackingNumber",
        "status", "reporter", "{", "anonymous", "confidential", "}", "receivedAt", "updatedAt", "id"]
    assert "timeline { at status actor note }" in selection(ServedReport)
    child = selection(ChildReport, omit=("timeline",)).split()
    assert "id" in child and "localId" not in child, "a child hub names its reports by id alone"


def _documents(module: ModuleType) -> Iterator[tuple[str, str]]:
    """The module's GraphQL operations: its string constants that parse as a query or mutation."""
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation")):
            yield name, value


def _schema(name: str) -> GraphQLSchema:
    return build_schema((ROOT / "schema" / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("module", "contract"), [(nodewire, "node.graphql"), (child_wire, "hub.graphql")],
                         ids=["hub to node", "parent hub to child hub"])
def test_every_document_sent_is_valid_against_the_published_contract(module: ModuleType, contract: str) -> None:
    schema = _schema(contract)
    documents = dict(_documents(module))
    assert len(documents) >= 5
    for name, document in documents.items():
        parsed = parse(document)
        assert all(isinstance(d, OperationDefinitionNode) for d in parsed.definitions)
        assert validate(schema, parsed) == [], f"{module.__name__}.{name} does not fit schema/{contract}"


def _calls_with_documents(folder: Path) -> Iterator[tuple[Path, int, set[str]]]:
    """Each `.query(...)` / `.query_partial(...)` call under `folder`, with the names it passes."""
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("query", "query_partial")):
                yield path, node.lineno, {a.id for a in node.args if isinstance(a, ast.Name)}


def test_the_hub_and_the_child_hub_connector_send_only_the_validated_documents() -> None:
    validated = set(dict(_documents(nodewire))) | set(dict(_documents(child_wire)))
    calls = [*_calls_with_documents(ROOT / "hub"), *_calls_with_documents(ROOT / "connectors" / "hub")]
    assert len(calls) >= 10
    for path, line, names in calls:
        if path.name == "client.py" and "document" in names:
            continue  # the clients themselves, passing on what they were given
        assert names & validated, f"{path.relative_to(ROOT)}:{line} sends a document the tests do not validate"


def _input_type(schema: GraphQLSchema, name: str) -> GraphQLInputObjectType:
    found = schema.get_type(name)
    assert isinstance(found, GraphQLInputObjectType)
    return found


def test_the_forwarded_report_fits_the_inputs_it_is_sent_as() -> None:
    row = {**dict(CONTENT), "kind": "PENGADUAN", "channel": "WEB", "origin_id": "hub:LPR-1", "tracking_number": "LPR-1",
           "anonymous": False, "confidential": True, "received_at": AT}
    to_node = _forwarded_report(row, Identity("Siti", "0812"))  # a ledger row
    assert to_node["reporter"] == {"anonymous": False, "confidential": True, "name": "Siti", "contact": "0812"}
    coerce_input_value(to_node, _input_type(_schema("node.graphql"), "ForwardedReportInput"))
    forwarded = ForwardedReport(**dict(CONTENT), source_id="64:64.08:7", tracking_number="64.08-7",
                                reporter=Reporter(anonymous=True), received_at=AT)
    to_child = _forwarded(forwarded)
    assert to_child["reporter"] == {"anonymous": True, "confidential": False, "name": None, "contact": None}
    coerce_input_value(to_child, _input_type(_schema("hub.graphql"), "ParentReportInput"))


async def _columns(conn: asyncpg.Connection, schema: str, table: str) -> set[str]:
    rows = await conn.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema = $1"
                            " AND table_name = $2", schema, table)
    return {r["column_name"] for r in rows}


async def test_the_ledger_and_the_desk_keep_every_field_of_the_report_as_a_column(database: str) -> None:
    await migrate_hub(database)
    conn = await asyncpg.connect(database)
    try:
        await migrate(conn, "desk_fields", "connectors.desk.migrations")
        ledger = await _columns(conn, HUB_SCHEMA, "ledger")
        desk = await _columns(conn, "desk_fields", "reports")
    finally:
        await conn.close()
    content = set(ReportContent.model_fields)
    flags = {"anonymous", "confidential"}
    assert content | flags | {"tracking_number", "status", "received_at", "updated_at"} <= ledger
    assert "sealed_identity" in ledger, "the hub keeps a reporter's identity sealed only (issue 14)"
    identity = {f"reporter_{name}" for name in set(Reporter.model_fields) - flags}
    where = set(Report.model_fields) - content - {"reporter", "timeline"}
    assert content | flags | identity | where <= desk
