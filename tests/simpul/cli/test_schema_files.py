"""The checked-in contract in schema/ is what the code serves."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema

from simpul.cli.schema_files import SUBGRAPH_FILE, check_files, contract_sdl, write_files

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "schema"


def test_checked_in_schema_files_match_the_code() -> None:
    assert check_files(SCHEMA_DIR) == [], "run `simpul schema export` and commit schema/"


def test_a_changed_schema_file_is_detected(tmp_path: Path) -> None:
    write_files(tmp_path)
    assert check_files(tmp_path) == [] and not (tmp_path / SUBGRAPH_FILE).exists()
    hub = tmp_path / "hub.graphql"
    hub.write_text(hub.read_text().replace("reports(", "reportz("))
    assert check_files(tmp_path) == ["hub.graphql"]
    (tmp_path / "node.graphql").unlink()
    assert check_files(tmp_path) == ["node.graphql", "hub.graphql"]


def test_node_contract_names_every_operation_a_node_serves() -> None:
    node = contract_sdl()["node.graphql"]
    for operation in ("node: NodeInfo!", "reports(", "report(id: ID!)", "stats(", "changes(", "acceptReport(",
                      "health: Health!"):
        assert operation in node


def test_the_hub_api_file_is_plain_graphql_and_the_subgraph_file_declares_the_entities() -> None:
    files = contract_sdl(subgraph=True)
    api = build_schema(files["hub.graphql"])  # what graphql-js, codegen and the fuzz tests read: no @link or @key
    assert api.query_type is not None and {"report", "_entities", "_service"} <= set(api.query_type.fields)
    subgraph = files[SUBGRAPH_FILE]
    assert subgraph.startswith('schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) {')
    assert 'type Node @key(fields: "code") {' in subgraph and 'type Report @key(fields: "id") {' in subgraph
    assert subgraph.replace(' @key(fields: "code")', "").replace(' @key(fields: "id")', "").endswith(
        files["hub.graphql"]), "the two files differ in Federation's directives only"


def test_the_subgraph_file_is_written_on_demand(tmp_path: Path) -> None:
    written = write_files(tmp_path, subgraph=True)
    assert [p.name for p in written] == ["node.graphql", "hub.graphql", SUBGRAPH_FILE]
    assert (tmp_path / SUBGRAPH_FILE).read_text("utf-8") == contract_sdl(subgraph=True)[SUBGRAPH_FILE]
