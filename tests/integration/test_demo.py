"""`simpul demo`: the whole demo federation comes up, answers, goes on without a desk that dies, and Ctrl-C
leaves nothing behind."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest
from playwright.async_api import Page, expect

from tests.demo import NODES, REPORTS, RunningDemo, running_demo
from tests.federation import graphql, postgres_serving

KALTARA_STATS = '{ stats(groupBy: [STATUS], filter: {regionPrefix: "65"}) { total } }'


async def test_demo_federation_answers_and_ctrl_c_stops_every_process(session: aiohttp.ClientSession,
                                                                     page: Page) -> None:
    data_dir = Path("/tmp") / f"simpul-demo-{secrets.token_hex(4)}"
    env = {**os.environ, "DATABASE_URL": ""}
    demo = subprocess.Popen([sys.executable, "-m", "simpul", "--log-format", "json", "demo", "--port", "0",
                             "--data-dir", str(data_dir)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    assert demo.stdout is not None
    lines = []
    try:
        for line in demo.stdout:
            lines.append(line)
            if "Ctrl-C stops everything" in line:
                break
        banner = "".join(lines)
        assert "Ctrl-C stops everything" in banner, banner
        graphiql = next(word for word in banner.split() if word.endswith("/graphql"))
        descendants = psutil.Process(demo.pid).children(recursive=True)
        assert len(descendants) == 1 + len(NODES)
        assert postgres_serving(data_dir / "pg"), "the demo runs its own PostgreSQL"

        key = re.search(r'"Authorization": "(Bearer smp_\S+)"', banner)
        assert key is not None, banner
        query = """
          { nodes { code reachable }
            stats(groupBy: [STATUS], filter: {regionPrefix: "65"}) { total buckets { status count } } }
        """
        refused = await graphql(session, graphiql, query, headers={})
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        body = await graphql(session, graphiql, query, headers={"authorization": key[1]})
        assert "errors" not in body, body
        assert {n["code"] for n in body["data"]["nodes"]} == {n.code for n in NODES}
        kaltara = body["data"]["stats"]
        assert kaltara["total"] == 14
        assert {b["status"]: b["count"] for b in kaltara["buckets"]} == {"COMPLETED": 8, "IN_PROCESS": 6}

        coverage = await graphql(session, graphiql, '{ coverage(regionPrefix: "65") { region { expected connected '
                                 "notConnected { kind name } } } }", headers={"authorization": key[1]})
        kaltara_coverage = coverage["data"]["coverage"]["region"]
        # the province government and two of its nine OPDs are connected; five kabupaten/kota and seven OPDs not
        assert (kaltara_coverage["expected"], kaltara_coverage["connected"]) == (6 + 9, 3)
        assert "Inspektorat Provinsi Kalimantan Utara" in [u["name"] for u in kaltara_coverage["notConnected"]]

        tracking = re.search(r"its reporter tracks it as (\S+)", banner)
        assert tracking is not None, banner
        track = await graphql(session, graphiql, "query T($tn: String!) { trackReport(trackingNumber: $tn) {"
                              " status holder timeline { event node } } }", {"tn": tracking[1]}, headers={})
        assert "errors" not in track, (track, _warned(data_dir / "logs" / "hub.log"))
        wrong_door = track["data"]["trackReport"]  # the reporter tracks without a key
        assert wrong_door["status"] == "COMPLETED" and wrong_door["holder"] == "64.08"
        assert [(e["event"], e["node"]) for e in wrong_door["timeline"]][:3] == [
            ("RECEIVED", "65"), ("ROUTED", "64.08"), ("DELIVERED", "64.08")]

        password = re.search(r'login\(username: "admin", password: "(\S+)"\)', banner)
        assert password is not None, banner
        login = await graphql(session, graphiql, 'mutation($p: String!) { login(username: "admin", password: $p) '
                              "{ user { role regionCode } } }", {"p": password[1]}, headers={})
        assert login["data"]["login"]["user"] == {"role": "ADMIN", "regionCode": ""}

        await _dashboard_times_every_demo_year(session, page, graphiql, key[1], password[1])

        for log in ("hub.log", "node-65.log"):  # the children log as the demo was told to
            lines = (data_dir / "logs" / log).read_text().splitlines()
            logged = [json.loads(line) for line in lines if line.startswith("{")]
            assert logged and all({"time", "level", "message"} <= entry.keys() for entry in logged), log
            printed = [line for line in lines if not line.startswith("{")]  # the address lines, not log records
            assert all(re.match(r"(hub listening on|node \S+ serving on) http://", line) for line in printed), lines

        os.killpg(demo.pid, signal.SIGINT)
        assert demo.wait(30) in (0, 130)
        assert "demo stopped; nothing left running." in demo.stdout.read()
        _, alive = psutil.wait_procs(descendants, timeout=10)
        assert alive == [], f"left running: {alive}"
        assert postgres_serving(data_dir / "pg") == []
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        demo.stdout.close()
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)


def _warned(log: Path) -> list[str]:
    """The hub's warnings and errors, to show with a failure (the demo's folder is removed after the test)."""
    return [line[:500] for line in log.read_text().splitlines() if '"level": "WARNING"' in line
            or '"level": "ERROR"' in line]


ZONES = "query Z($y: Int) { complianceZones(year: $y) { regionCode zone figures { untimed followUpsDue } } }"
DEMO_YEARS = sorted({r.received_at.year for r in REPORTS})


async def _dashboard_times_every_demo_year(session: aiohttp.ClientSession, page: Page, graphiql: str,
                                           key: str, password: str) -> None:
    """The officer's view of the demo in Chromium: every year of its reports is timed on real calendars (no
    SLA_CALENDAR_MISSING), the tiles show the hub's zones, and Kaltara's coverage counts its OPDs."""
    await page.goto(graphiql.removesuffix("/graphql") + "/dashboard")
    await page.get_by_label("Nama pengguna").fill("admin")
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()
    assert DEMO_YEARS[0] <= 2019 and DEMO_YEARS[-1] >= 2022, DEMO_YEARS
    for year in range(2019, 2023):
        body = await graphql(session, graphiql, ZONES, {"y": year}, headers={"authorization": key})
        assert "errors" not in body, body  # SLA_CALENDAR_MISSING would be an error beside the data
        zones = {r["regionCode"]: r["zone"] for r in body["data"]["complianceZones"]}
        assert all(r["figures"]["untimed"] == 0 for r in body["data"]["complianceZones"]), body
        assert any(zone != "GREY" for zone in zones.values()), f"{year}: nothing timed, {zones}"
        await page.get_by_label("Tahun").select_option(str(year))
        await expect(page.locator("#status")).to_contain_text(f"tahun {year}")
        await expect(page.locator("#problem")).to_have_text("")
        await expect(page.locator("#provinces .tile")).to_have_count(len(zones))
        for code, zone in zones.items():  # each tile as the hub zones it, once the page has drawn this year
            await expect(page.locator(f'#provinces .tile[data-code="{code}"]')).to_have_attribute("data-zone", zone)
    await expect(page.locator('#provinces .tile[data-code="65"]')).to_contain_text("Keterhubungan: 3 dari 15 (20,0%)")


@pytest.fixture
def demo() -> Iterator[RunningDemo]:
    with running_demo() as started:
        yield started


async def test_a_killed_desk_is_named_and_the_demo_keeps_serving_until_its_hub_dies_and_then_stops_all(
    demo: RunningDemo, session: aiohttp.ClientSession
) -> None:
    """One demo for both failures, as they come in life: a desk dies (named, the rest serves), then the hub."""
    key = re.search(r'"Authorization": "(Bearer smp_\S+)"', demo.banner)
    assert key is not None, demo.banner
    graphiql = demo.url(r"GraphiQL:\s+(\S+)")
    kaltara_desk = demo.url(r"desk 65\s+(\S+)/")

    demo.child("--code", "64.08").kill()

    said = demo.process.wait_for(r"node 64\.08 .*stopped.*", timeout=10)[0]
    assert "Kutai Timur" in said and "killed by SIGKILL" in said, said
    assert f"{demo.data_dir}/logs/node-64.08.log" in said, said
    assert (demo.data_dir / "logs" / "node-64.08.log").exists()
    body = await graphql(session, graphiql, "{ nodes { code } " + KALTARA_STATS[1:-1]
                         + " national: stats(groupBy: [STATUS]) { total } }", headers={"authorization": key[1]})
    assert "errors" not in body, body
    assert {n["code"] for n in body["data"]["nodes"]} == {n.code for n in NODES}  # enrolled, if not all answer
    assert body["data"]["stats"]["total"] == 14
    # National figures stay complete: the stopped desk's reports as of its last pull, each report once.
    assert body["data"]["national"]["total"] == len(REPORTS) + 1
    async with session.get(f"{kaltara_desk}/healthz") as response:
        assert response.status == 200, await response.text()
    assert demo.process.running

    demo.child("hub", "--port").kill()  # Ctrl-C's own way out is test_demo_federation_answers_and_ctrl_c_...

    assert demo.process.wait_exit(60) == 1, demo.process.output
    assert "the hub stopped: killed by SIGKILL" in demo.process.output
    assert f"{demo.data_dir}/logs/hub.log" in demo.process.output
    _, alive = psutil.wait_procs(demo.children, timeout=10)
    assert alive == [], f"left running: {alive}"
    assert postgres_serving(demo.data_dir / "pg") == []
