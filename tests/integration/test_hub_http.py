"""The hub's HTTP face: GraphiQL for people, /healthz for probes."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from tests.federation import national_admin, start_hub


async def test_graphiql_health_and_home_are_served(
    database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path)
    try:
        async with session.get(hub.graphql_url, headers={"accept": "text/html"}) as response:
            assert response.status == 200
            assert "graphiql" in (await response.text()).lower()
        async with session.get(hub.url + "/healthz") as response:
            assert response.status == 200 and await response.json() == {"ok": True}
        async with session.get(hub.url + "/", allow_redirects=False) as response:
            assert response.status in (302, 307) and response.headers["location"].endswith("/graphql")
        async with session.get(hub.graphql_url, params={"query": "{ nodes { code } }"},
                               headers=await national_admin(hub.graphql_url)) as response:
            assert response.status == 200 and await response.json() == {"data": {"nodes": []}}
    finally:
        hub.process.stop()
