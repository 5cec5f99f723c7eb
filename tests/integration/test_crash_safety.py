"""Nothing lost, nothing twice: processes killed with SIGKILL at random moments while reports are forwarded.

Reports are submitted at the hub (each with an idempotency key, retried until
acknowledged, as a portal would) and routed to three desks. Whatever is
killed, every acknowledged report must end at exactly one desk, once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Coroutine, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.databases import connection
from tests.federation import Federation, Hub, restart_desk, start_desk, start_hub

SUBMIT = """
mutation Submit($report: SubmitReportInput!, $key: String!) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber }
}
"""
REGIONS = {"64.08": "64.08.01", "65": "65.01", "63": "63.03"}  # desk -> a region routed to it by fallback
DESK_LEVELS = {"64.08": "KABKOTA", "65": "PROVINSI", "63": "PROVINSI"}


@pytest.fixture
def fed(database: str, tmp_path: Path) -> Iterator[Federation]:
    """A hub with four delivery workers and the three desks its reports go to; what runs at the end is stopped."""
    with Federation(start_hub(database, tmp_path, "--delivery-workers", "4")) as running:
        for code, level in DESK_LEVELS.items():
            running.desks[code] = start_desk(running.hub, tmp_path, code, code, level)
        yield running


async def _submit_all(session: aiohttp.ClientSession, hubs: list[Hub], count: int,
                      until: asyncio.Future[list[int]] | None = None) -> dict[str, str]:
    """Submit at least `count` reports, and go on until `until` is done when given (so that the kills land while
    reports are being forwarded, however fast this machine is), retrying each until a hub acknowledges it;
    key -> tracking number."""
    acknowledged: dict[str, str] = {}
    desks = list(REGIONS)
    numbers = itertools.count()

    loop = asyncio.get_running_loop()

    async def client(n: int) -> None:
        while True:
            i = next(numbers)
            if i >= count and (until is None or until.done()):
                return
            key = f"crash-test-{i:06d}"
            report = {"kind": "PENGADUAN", "title": f"Laporan {i}", "body": "Isi laporan uji.",
                      "category": "umum", "regionCode": REGIONS[desks[i % len(desks)]]}
            give_up, answer = loop.time() + 60, ""
            while key not in acknowledged:
                assert loop.time() < give_up, f"{key} never acknowledged; last answer: {answer}"
                hub = hubs[(i + n) % len(hubs)]
                try:
                    async with session.post(hub.graphql_url, json={"query": SUBMIT, "variables": {
                            "report": report, "key": key}}) as response:
                        answer = await response.text()
                    acknowledged[key] = json.loads(answer)["data"]["submitReport"]["trackingNumber"]
                except (TimeoutError, aiohttp.ClientError, KeyError, TypeError, ValueError) as exc:
                    answer = answer or repr(exc)
                    await asyncio.sleep(0.2)  # the hub is down or restarting: try again, same key

    await asyncio.gather(*(client(n) for n in range(16)))
    return acknowledged


async def _all_delivered_exactly_once(database: str, acknowledged: dict[str, str]) -> None:
    await _settled(database, len(acknowledged))
    await _assert_each_report_at_exactly_one_desk(database, acknowledged)


async def _settled(database: str, expected: int, timeout: float = 90.0) -> None:
    """Wait until every delivery is done (or fail with what is left)."""
    async with connection(database) as conn:
        for _ in range(int(timeout / 0.5)):
            pending = await conn.fetchval("SELECT count(*) FROM hub.deliveries WHERE state = 'PENDING'")
            held = await conn.fetchval("SELECT count(*) FROM hub.ledger WHERE routing = 'HELD'")
            if pending == 0 and held == expected:
                return
            await asyncio.sleep(0.5)
        states = await conn.fetch("SELECT state, count(*) FROM hub.deliveries GROUP BY state")
        raise AssertionError(f"not settled: {[tuple(r) for r in states]}, held {held} of {expected}")


async def _assert_each_report_at_exactly_one_desk(database: str, acknowledged: dict[str, str]) -> None:
    async with connection(database) as conn:
        copies: dict[str, list[str]] = {}
        for code in DESK_LEVELS:
            schema = "desk_" + code.replace(".", "_")
            for row in await conn.fetch(f"SELECT tracking_number FROM {schema}.reports"):
                copies.setdefault(row["tracking_number"], []).append(code)
        holders = {r["tracking_number"]: r["holder_node"] for r in await conn.fetch(
            "SELECT tracking_number, holder_node FROM hub.ledger")}
        dead = await conn.fetchval("SELECT count(*) FROM hub.deliveries WHERE state = 'DEAD'")
    tracking_numbers = set(acknowledged.values())
    assert len(tracking_numbers) == len(acknowledged), "one tracking number per idempotency key"
    assert set(holders) == tracking_numbers, "every acknowledged report is in the ledger, and nothing else"
    assert set(copies) == tracking_numbers, "every acknowledged report reached a desk, and nothing else did"
    twice = {tn: where for tn, where in copies.items() if len(where) != 1}
    assert twice == {}, f"reports created more than once: {list(twice.items())[:5]}"
    assert all(copies[tn] == [holders[tn]] for tn in tracking_numbers), "the ledger names the desk that has it"
    assert dead == 0


async def _work_in_flight(database: str) -> int:
    """Reports acknowledged but not yet delivered, at this moment."""
    async with connection(database) as conn:
        pending: int = await conn.fetchval("SELECT count(*) FROM hub.deliveries WHERE state = 'PENDING'")
        return pending


async def _kill_and_restart_hub(fed: Federation, tmp_path: Path, times: int) -> list[int]:
    """SIGKILL the hub `times` times at random moments, restarting it on its port; the work in flight at each kill."""
    rng = random.Random()
    port = fed.hub.url.rsplit(":", 1)[1]
    in_flight = []
    for _ in range(times):
        await asyncio.sleep(rng.uniform(0.3, 1.5))
        fed.hub.process.kill()
        in_flight.append(await _work_in_flight(fed.hub.database_url))
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        fed.hub = await asyncio.to_thread(start_hub, fed.hub.database_url, tmp_path, "--port", port)
    return in_flight


async def _kill_and_restart_desk(fed: Federation, code: str, times: int) -> list[int]:
    """SIGKILL desk `code` `times` times at random moments, restarting it on its port; the work in flight at each
    kill."""
    rng = random.Random()
    in_flight = []
    for _ in range(times):
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        fed.desks[code].process.kill()
        in_flight.append(await _work_in_flight(fed.hub.database_url))
        await asyncio.sleep(rng.uniform(0.2, 1.0))
        fed.desks[code] = await asyncio.to_thread(restart_desk, fed.hub, fed.desks[code], True)
    return in_flight


async def _nothing_lost_or_twice(session: aiohttp.ClientSession, fed: Federation,
                                 kills: Coroutine[object, object, list[int]]) -> None:
    """Submit reports for as long as `kills` kills and restarts processes (300 at least): every report acknowledged
    reaches one desk, once."""
    killing = asyncio.ensure_future(kills)
    submitting = asyncio.create_task(_submit_all(session, [fed.hub], 300, until=killing))
    in_flight = await killing
    acknowledged = await submitting
    assert max(in_flight) > 0, f"the kills should land while reports are being forwarded: {in_flight}"
    await _all_delivered_exactly_once(fed.hub.database_url, acknowledged)


async def test_killing_the_hub_while_forwarding_loses_nothing_and_creates_nothing_twice(
    fed: Federation, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    await _nothing_lost_or_twice(session, fed, _kill_and_restart_hub(fed, tmp_path, times=4))


async def test_killing_a_node_while_it_accepts_reports_loses_nothing_and_creates_nothing_twice(
    fed: Federation, session: aiohttp.ClientSession
) -> None:
    await _nothing_lost_or_twice(session, fed, _kill_and_restart_desk(fed, "64.08", times=3))


async def test_two_hubs_on_one_database_deliver_each_report_once(
    fed: Federation, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    second = start_hub(database, tmp_path, "--delivery-workers", "4")
    try:
        acknowledged = await _submit_all(session, [fed.hub, second], 400)
        await _all_delivered_exactly_once(database, acknowledged)
        delivered_by = [sum("delivered to" in line for line in hub.process.lines) for hub in (fed.hub, second)]
        assert sum(delivered_by) == len(acknowledged), delivered_by
        assert min(delivered_by) > 0, f"both hubs deliver: {delivered_by}"
    finally:
        second.process.stop()
