"""What an operator watches: /metrics after real traffic, one trace from the hub into its nodes, JSON logs, /readyz.

One federation serves the module: a hub that traces to a fake OTLP collector
(the real protocol, decoded with opentelemetry-proto), keeps /metrics behind a
token and logs JSON at DEBUG, and three desks that trace and log the same way.
Desk 63 is stopped part-way, so it must come last among the tests that use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
import shutil
import socket
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simpul.db.embedded import embedded_postgres
from simpul.db.outage import UNAVAILABLE
from simpul.signing import TO_HUB, new_private_key, sign
from tests.federation import (
    Desk,
    Federation,
    Hub,
    eventually,
    graphql,
    national_admin,
    node_graphql,
    scrape,
    start_desk,
    start_hub,
    submit,
)
from tests.graphql_ws import PROTOCOL, Subscription
from tests.otlp_collector import Collector, Span, running_collector

TOKEN = "metrics-" + secrets.token_hex(8)
REPORTS = """
query Reports($scope: Scope) {
  reports(first: 20, scope: $scope, live: true) { reports { id } coverage { asked answered } }
}
"""
SUBMIT = """
mutation Submit($report: SubmitReportInput!, $key: String!) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber }
}
"""
REPORTER = {"reporterName": "Ratna Kusumawardhani", "reporterContact": "0812-7700-4411"}
PRINTED = re.compile(r"^(hub listening on|node \S+ serving on) ")
SERVER, CLIENT = 2, 3  # OTLP span kinds


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    with running_collector() as running:
        yield running


@pytest.fixture(scope="module")
def observed(module_database: str, collector: Collector, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Federation]:
    """Hub, Kaltim (64), Kaltara (65) and Kalsel (63), all tracing to `collector` and logging JSON at DEBUG."""
    folder = tmp_path_factory.mktemp("observed")
    running: Federation | None = None
    try:
        with pytest.MonkeyPatch.context() as env:  # for the processes started here only
            env.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
            env.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # milliseconds between span batches
            env.setenv("SIMPUL_LOG_FORMAT", "json")
            env.setenv("SIMPUL_LOG_LEVEL", "DEBUG")
            running = Federation(start_hub(module_database, folder, "--metrics-token", TOKEN,
                                           "--delivery-max-attempts", "2"))
            for code in ("64", "65", "63"):
                running.desks[code] = start_desk(running.hub, folder, code, code, "PROVINSI")
        yield running
    finally:
        if running is not None:
            running.stop()


def _moved(before: dict[str, float], after: dict[str, float], sample: str) -> float:
    return after.get(sample, 0.0) - before.get(sample, 0.0)


async def test_metrics_need_the_token_when_one_is_set(observed: Federation, session: aiohttp.ClientSession) -> None:
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
        async with session.get(observed.hub.url + "/metrics", headers=headers) as response:
            assert response.status == 401, headers
            assert "simpul_" not in await response.text()
    assert "simpul_database_up" in await scrape(session, observed.hub.url, TOKEN)


async def test_a_client_gone_mid_request_is_counted_499_and_logs_no_traceback(
    observed: Federation, session: aiohttp.ClientSession
) -> None:
    before = await scrape(session, observed.hub.url, TOKEN)
    host, port = observed.hub.url.removeprefix("http://").split(":")
    _, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n"
                 b'Content-Length: 1000\r\n\r\n{"query": "{ me')  # a tenth of the body it announced
    await writer.drain()
    writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()  # reset, as a phone losing signal leaves it

    async def counted() -> float | None:
        after = await scrape(session, observed.hub.url, TOKEN)
        return _moved(before, after, 'simpul_http_requests_total{method="POST",route="/graphql",status="499"}') or None

    assert await eventually(counted) == 1
    assert "ClientDisconnect" not in observed.hub.process.output


async def test_a_federated_query_moves_the_request_operation_and_node_call_metrics(
    observed: Federation, session: aiohttp.ClientSession
) -> None:
    before = await scrape(session, observed.hub.url, TOKEN)
    body = await graphql(session, observed.hub.graphql_url, REPORTS, {"scope": {"nodeCodes": ["64", "65"]}})
    assert body["data"]["reports"]["coverage"] == {"asked": 2, "answered": 2}, body
    after = await scrape(session, observed.hub.url, TOKEN)

    assert _moved(before, after, 'simpul_http_requests_total{method="POST",route="/graphql",status="200"}') == 1
    assert _moved(before, after,
                  'simpul_http_request_duration_seconds_count{method="POST",route="/graphql",status="200"}') == 1
    assert _moved(before, after, 'simpul_graphql_operations_total{outcome="ok",type="query"}') == 1
    for node in ("64", "65"):
        assert _moved(before, after, f'simpul_node_call_duration_seconds_count{{node="{node}"}}') >= 1
    assert after['simpul_nodes{status="ACTIVE"}'] == 3
    assert after["simpul_database_up"] == 1

    async def all_reachable() -> bool:  # heard from and callable; a pull that timed out on a loaded run
        scraped = await scrape(session, observed.hub.url, TOKEN)  # counts its node unreachable until the next one
        return scraped["simpul_nodes_reachable"] == 3

    await eventually(all_reachable)
    assert not any("63" in sample and "errors" in sample for sample in after), "no node has failed yet"


async def test_a_federated_query_is_one_trace_from_the_hub_into_both_desks(
    observed: Federation, session: aiohttp.ClientSession, collector: Collector
) -> None:
    trace_id = "0af7651916cd43dd8448eb211c80319c"  # the caller's trace, which the hub continues
    headers = {**await national_admin(observed.hub.graphql_url), "traceparent": f"00-{trace_id}-b7ad6b7169203331-01"}
    body = await graphql(session, observed.hub.graphql_url, REPORTS, {"scope": {"nodeCodes": ["64", "65"]}},
                         headers=headers)
    assert body["data"]["reports"]["coverage"] == {"asked": 2, "answered": 2}

    async def complete() -> list[Span]:
        spans = collector.trace(trace_id)
        return spans if len([s for s in spans if s.service == "simpul-node"]) == 2 else []

    spans = await eventually(complete)
    [hub_span] = [s for s in spans if s.service == "simpul-hub" and s.kind == SERVER]
    assert hub_span.name == "POST /graphql" and hub_span.parent_id == "b7ad6b7169203331"
    calls = {s.attributes["simpul.node"]: s for s in spans if s.kind == CLIENT}
    assert set(calls) == {"64", "65"}
    assert all(c.parent_id == hub_span.span_id and c.name == "node ListReports" for c in calls.values())
    node_spans = {s.instance: s for s in spans if s.service == "simpul-node"}
    assert set(node_spans) == {"64", "65"}, "each desk process sent its own span"
    for code, span in node_spans.items():
        assert span.kind == SERVER and span.name == "POST /graphql"
        assert span.parent_id == calls[code].span_id, "the node's span hangs under the hub's call to it"


async def test_a_delivery_worker_call_is_traced_into_the_node_it_delivers_to(
    observed: Federation, session: aiohttp.ClientSession, collector: Collector
) -> None:
    report = {"kind": "PENGADUAN", "title": "Lampu jalan mati", "body": "Sudah seminggu.", "category": "umum",
              "regionCode": "64.05"}  # no desk for Kutai Kartanegara: it falls back to Kaltim's
    await graphql(session, observed.hub.graphql_url, SUBMIT, {"report": report, "key": "obs-traced-1"}, headers={})

    async def delivered() -> tuple[Span, Span] | None:
        for call in collector.spans:
            if call.name == "node Accept" and call.attributes.get("simpul.node") == "64":
                for span in collector.trace(call.trace_id):
                    if span.instance == "64" and span.parent_id == call.span_id:
                        return call, span
        return None

    call, node_span = await eventually(delivered)
    assert call.service == "simpul-hub" and call.kind == CLIENT and call.parent_id == "", "a worker's own trace"
    assert node_span.kind == SERVER and node_span.name == "POST /graphql"


async def test_logs_are_json_lines_with_request_and_trace_ids_and_no_reporter_identity(
    observed: Federation, session: aiohttp.ClientSession
) -> None:
    kaltara, kaltim = observed.desks["65"], observed.desks["64"]
    sent = await submit(session, kaltara, regionCode="64.02", category="kesehatan", **REPORTER)
    await eventually(lambda: _holds(session, kaltim, sent["trackingNumber"]))  # forwarded through the hub

    processes = {"hub": observed.hub.process, "desk 65": kaltara.process, "desk 64": kaltim.process}
    for who, process in processes.items():
        entries = [json.loads(line) for line in list(process.lines) if not PRINTED.match(line)]
        assert entries, f"{who} logged nothing"
        for entry in entries:
            assert {"time", "level", "logger", "message", "request_id"} <= set(entry), entry
        text = "\n".join(process.lines)
        for trace in (REPORTER["reporterName"], REPORTER["reporterContact"], "81277004411"):
            assert trace not in text, f"{who} logged {trace!r}"
    hub_entries = [json.loads(line) for line in observed.hub.process.lines if not PRINTED.match(line)]
    assert any(e["request_id"] != "-" for e in hub_entries)
    assert any(re.fullmatch(r"[0-9a-f]{32}", e.get("trace_id", "")) for e in hub_entries), \
        "lines logged inside a traced request carry its trace id"


async def test_a_node_that_is_down_is_counted_against_it_and_its_dead_delivery_shows(
    observed: Federation, session: aiohttp.ClientSession
) -> None:
    observed.desks["63"].process.stop()
    before = await scrape(session, observed.hub.url, TOKEN)
    body = await graphql(session, observed.hub.graphql_url, REPORTS, {"scope": {"nodeCodes": ["63", "64"]}})
    assert [e["extensions"]["node"] for e in body["errors"]] == ["63"]
    report = {"kind": "PENGADUAN", "title": "Jalan rusak", "body": "Berlubang.", "category": "umum",
              "regionCode": "63.03"}  # no unit in Kalsel: it falls back to the province desk, which is down
    await graphql(session, observed.hub.graphql_url, SUBMIT, {"report": report, "key": "obs-dead-1"}, headers={})

    async def dead() -> dict[str, float]:
        after = await scrape(session, observed.hub.url, TOKEN)
        return after if after['simpul_deliveries{state="DEAD"}'] == 1 else {}

    after = await eventually(dead)
    errors = 'simpul_node_call_errors_total{{code="NODE_UNAVAILABLE",node="63",operation="{}"}}'
    assert _moved(before, after, errors.format("ListReports")) == 1
    skipped = 'simpul_node_calls_skipped_total{{node="63",operation="{}"}}'
    assert _moved(before, after, errors.format("Accept")) + _moved(before, after, skipped.format("Accept")) == 2, \
        "both delivery attempts failed: called and refused, or skipped once the node's breaker opened"
    assert _moved(before, after, 'simpul_graphql_operations_total{outcome="partial",type="query"}') == 1
    assert not any('node="64"' in sample and "errors" in sample for sample in after)


async def test_while_the_database_is_gone_readyz_fails_callers_are_told_unavailable_and_all_recovers_with_it(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    folder = Path("/tmp") / f"simpul-ready-{secrets.token_hex(4)}"  # short: the socket lives in it
    folder.mkdir()
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)  # last, once PostgreSQL has stopped
        postgres = stack.enter_context(contextlib.ExitStack())
        url = postgres.enter_context(embedded_postgres(folder))  # this test's own server, to stop and start
        hub = start_hub(url, tmp_path)
        stack.callback(hub.process.stop)
        ready = await eventually(lambda: _readyz(session, hub.url, 200))
        assert ready["checks"]["delivery"] == {"ok": True, "running": 4, "started": 4}
        assert ready["checks"]["feeds"]["ok"] and ready["checks"]["database"] == {"ok": True}
        admin = await national_admin(hub.graphql_url)
        assert await _outage_answers(session, hub, admin) == (200, 200, 401, 200)
        socket = await Subscription.open(session, hub.graphql_url, "{ nodes { code } }", headers=admin)  # open
        stack.push_async_callback(socket.close)

        postgres.close()  # PostgreSQL stops
        try:
            down = await eventually(lambda: _readyz(session, hub.url, 503))
        except aiohttp.ClientConnectionError as exc:  # the hub is gone: say what it said
            raise AssertionError(f"the hub stopped when PostgreSQL did:\n{hub.process.output}") from exc
        assert down["ready"] is False and down["checks"]["database"]["ok"] is False
        assert "database does not answer" in down["checks"]["database"]["error"]
        await asyncio.sleep(1)  # rounds of every job against a database that is gone
        async with session.get(hub.url + "/healthz") as alive:
            assert alive.status == 200, "the process itself is alive"
        # GraphQL as application/graphql-response+json, as application/json, a node's heartbeat, Open311
        assert await _outage_answers(session, hub, admin) == (503, 200, 503, 503)
        await socket.ws.send_json({"id": "2", "type": "subscribe", "payload": {"query": "{ nodes { code } }"}})
        answer = await eventually(lambda: _async(next((m for m in socket.messages if m.get("id") == "2"), None)))
        errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
        assert [e["extensions"]["code"] for e in errors] == ["UNAVAILABLE"], answer
        assert await _connection_init_closes(session, hub, admin) == (1013, "UNAVAILABLE: " + UNAVAILABLE)

        assert stack.enter_context(embedded_postgres(folder)) == url  # and starts again
        back = await eventually(lambda: _readyz(session, hub.url, 200), timeout=20)
        assert all(check["ok"] for check in back["checks"].values()), "every job lived through the outage"
        assert await eventually(lambda: _back(session, hub, admin)) == (200, 200, 401, 200)
        log = hub.process.lines
        assert [line for line in log if "Traceback" in line] == [], hub.process.output
        assert len([line for line in log if "database unavailable" in line]) == 1, hub.process.output
        assert len([line for line in log if "database available again" in line]) == 1, hub.process.output


async def _connection_init_closes(session: aiohttp.ClientSession, hub: Hub,
                                  admin: dict[str, str]) -> tuple[int | None, str]:
    """How a new socket's connection_init is closed: 1013 "try again later" (which graphql-ws clients retry,
    unlike its 44xx codes) while the database is away."""
    async with session.ws_connect(hub.graphql_url.replace("http", "ws", 1), protocols=(PROTOCOL,)) as ws:
        await ws.send_json({"type": "connection_init", "payload": admin})
        closing = await ws.receive(timeout=5)
        assert closing.type is aiohttp.WSMsgType.CLOSE, closing
        return ws.close_code, closing.extra


async def _async(value: Any) -> Any:
    return value


async def _outage_answers(session: aiohttp.ClientSession, hub: Hub,
                          admin: dict[str, str]) -> tuple[int, int, int, int]:
    """The status of what each door answers now; during an outage each says UNAVAILABLE and when to retry."""
    statuses = []
    for accept in ("application/graphql-response+json", "application/json"):
        async with session.post(hub.graphql_url, json={"query": "{ nodes { code } }"},
                                headers={**admin, "accept": accept}) as response:
            body = await response.json(content_type=None)
            statuses.append(response.status)
            if "errors" in body:
                assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"], body
                assert response.headers["retry-after"].isdigit() and not body.get("data")
    heartbeat = json.dumps({"endpoint": "https://desk.example.go.id", "healthy": True}).encode()
    # The hub looks node 64 up: unknown.
    signed = sign(new_private_key(), TO_HUB, "64", "POST", "/node/heartbeat", heartbeat)
    async with session.post(hub.url + "/node/heartbeat", data=heartbeat, headers=signed) as response:
        statuses.append(response.status)
        assert response.status != 503 or response.headers["retry-after"].isdigit()
    open311 = {"api_key": admin["authorization"].removeprefix("Bearer ")}
    async with session.get(hub.url + "/open311/v2/requests.json", params=open311) as response:
        statuses.append(response.status)
        assert response.status != 503 or (await response.json())[0]["code"] == 503
    return statuses[0], statuses[1], statuses[2], statuses[3]


async def _back(session: aiohttp.ClientSession, hub: Hub, admin: dict[str, str]) -> tuple[int, int, int, int] | None:
    answers = await _outage_answers(session, hub, admin)
    return answers if 503 not in answers else None


async def _readyz(session: aiohttp.ClientSession, hub_url: str, status: int) -> dict[str, Any] | None:
    async with session.get(hub_url + "/readyz") as response:
        body: dict[str, Any] = await response.json()
        return body if response.status == status else None


async def _holds(session: aiohttp.ClientSession, desk: Desk, tracking_number: str) -> bool:
    body = await node_graphql(session, desk, "{ reports(first: 50) { reports { trackingNumber } } }")
    return tracking_number in {r["trackingNumber"] for r in body["data"]["reports"]["reports"]}


async def test_any_hub_worker_answers_metrics_for_all_of_them_and_their_files_go_when_they_stop(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where `simpul hub --workers` makes the workers' metrics folder
    hub = start_hub(database, tmp_path, "--workers", "2")
    try:
        [folder] = tmp_path.glob("simpul-metrics-*")
        # A new connection per request: the kernel spreads connections, not requests, over the workers.
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as fresh:
            for _ in range(20):
                async with fresh.get(hub.url + "/healthz") as response:
                    assert response.status == 200
            counts = [(await scrape(fresh, hub.url))[
                'simpul_http_requests_total{method="GET",route="/healthz",status="200"}'] for _ in range(6)]
        assert counts == [20] * 6, "whichever worker is scraped counts every worker's requests"
        assert len({p.name for p in folder.glob("counter_*.db")}) == 2, "both workers served and counted"
    finally:
        hub.process.stop()
    assert not folder.exists(), "the metrics folder is removed with the workers"
