"""A province's portal on its own origin calls the hub from the browser; a page on any other origin cannot.

The hub allows one origin, a portal served by the test on another 127.0.0.1 port. In Chromium the portal's
page subscribes to the hub's events over WebSocket with an API key, submits a report, tracks it, reads `stats`
with the key and sees the report's event arrive. The same page reached as http://localhost:<port> is another
origin: the browser refuses to read any answer and the hub refuses its WebSocket. CORS itself (the preflight,
`Vary: Origin`, no CORS headers off the browser paths) is checked over plain HTTP, and the setting's refusals
at start.

The reference portal (examples/portal) is served by its README's own command on a second allowed origin: a
citizen submits a report there, the province's figures count it live (the `stats` subscription, with a key
allowed `stats` only, which reads no report and no event), and the report is tracked by its number.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from simpul.cli.demo import PORTAL_COMMAND
from simpul.processes import ChildProcess
from tests.asgi_server import serving
from tests.federation import Federation, bearer, create_key, graphql, run_cli, start_desk, start_hub
from tests.graphql_ws import Subscription

ROOT = Path(__file__).resolve().parents[2]
PORTAL_README = ROOT / "examples" / "portal" / "README.md"
FIGURES = ("subscription ($scope: Scope, $level: Int! = 1) {"
           " stats(groupBy: [STATUS], scope: $scope, regionLevel: $level) { total selesai } }")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Portal Kaltim</title></head><body>
<script type="module">
const hub = new URL(location.search.slice(1));
const graphql = async (query, variables, key) => {
  const headers = {"content-type": "application/json"};
  if (key) headers.authorization = `Bearer ${key}`;
  const body = JSON.stringify({query, variables});
  const answer = await fetch(`${hub.origin}/graphql`, {method: "POST", headers, body});
  return (await answer.json()).data;
};
const subscribe = (key) => new Promise((resolve, reject) => {
  const socket = new WebSocket(`ws://${hub.host}/graphql`, "graphql-transport-ws");
  const events = [];
  const payload = {authorization: `Bearer ${key}`};
  socket.onopen = () => socket.send(JSON.stringify({type: "connection_init", payload}));
  socket.onmessage = ({data}) => {
    const message = JSON.parse(data);
    if (message.type === "connection_ack") {
      const query = "subscription { events { type trackingNumber } }";
      socket.send(JSON.stringify({id: "1", type: "subscribe", payload: {query}}));
      resolve(events);
    } else if (message.type === "next") events.push(message.payload.data.events);
  };
  socket.onerror = () => reject(new Error("socket refused"));
});
window.run = async (key) => {
  const result = {};
  try {
    const events = await subscribe(key);
    const report = {kind: "PENGADUAN", title: "Jalan rusak", body: "Berlubang di depan sekolah.",
                    category: "infrastruktur", regionCode: "64"};
    const submitted = await graphql(
      `mutation ($r: SubmitReportInput!) { submitReport(report: $r) { trackingNumber } }`, {r: report});
    result.trackingNumber = submitted.submitReport.trackingNumber;
    const tracked = await graphql(
      `query ($n: String!) { trackReport(trackingNumber: $n) { status } }`, {n: result.trackingNumber});
    result.status = tracked.trackReport.status;
    while (!events.some((e) => e.trackingNumber === result.trackingNumber)) await new Promise((r) => setTimeout(r, 50));
    result.event = events.find((e) => e.trackingNumber === result.trackingNumber).type;
    for (let tries = 0; !(result.total > 0) && tries < 300; tries++) {  // the province's figures count it soon
      result.total = (await graphql(`{ stats(groupBy: [STATUS]) { total } }`, {}, key)).stats.total;
      if (!result.total) await new Promise((r) => setTimeout(r, 50));
    }
  } catch (error) {
    result.error = String(error);
  }
  return result;
};
</script></body></html>
"""


@dataclass
class Portal:
    """The portal's page, served at `url` (its allowed origin) and at `other_url` (the same page, another origin)."""

    url: str
    other_url: str
    origin: str


@pytest.fixture(scope="module")
async def portal() -> AsyncIterator[Portal]:
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse(PAGE))])
    async with serving(app) as url:
        port = url.rsplit(":", 1)[1]
        yield Portal(f"{url}/", f"http://localhost:{port}/", url)


def readme_serve_command() -> list[str]:
    """The command examples/portal/README.md serves the portal with (the demo prints the same)."""
    [line] = [line.strip() for line in PORTAL_README.read_text().splitlines()
              if line.strip().startswith("python3 -m http.server")]
    return shlex.split(line)


@pytest.fixture(scope="module")
def reference_portal() -> Iterator[str]:
    """examples/portal, served from the repository's root by the README's command on a free port: its origin."""
    python, dash_m, module, port, *rest = readme_serve_command()
    assert (python, dash_m, module, port) == ("python3", "-m", "http.server", "8080")
    server = ChildProcess(["0", *rest], module=module, cwd=ROOT, env={"PYTHONUNBUFFERED": "1"})
    try:
        bound = server.wait_for(r"Serving HTTP on 127\.0\.0\.1 port (\d+)")
        yield f"http://127.0.0.1:{bound[1]}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def open_hub(module_database: str, portal: Portal, reference_portal: str,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """A hub that allows both portals' origins, with Kaltim's desk (64) to take the portals' reports."""
    data_dir = tmp_path_factory.mktemp("origins")
    origins = f"{portal.origin},{reference_portal}"
    with Federation(start_hub(module_database, data_dir, "--cors-origins", origins)) as running:
        running.desks["64"] = start_desk(running.hub, data_dir, "64", "64", "PROVINSI")
        yield running


async def _portal_run(browser: Browser, page_url: str, open_hub: Federation) -> dict[str, Any]:
    """What the portal's page found, run at `page_url` with a Kaltim admin's key (in a context of its own: a
    refused call is a console error there, which is the point)."""
    key = await create_key(open_hub.hub.database_url, role="admin", region="64")
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(page_url + "?" + open_hub.hub.url)
        result: dict[str, Any] = await page.evaluate("key => window.run(key)", key)
        return result
    finally:
        await context.close()


async def test_the_portal_submits_tracks_reads_stats_and_hears_events_from_its_own_origin(
        open_hub: Federation, portal: Portal, browser: Browser) -> None:
    result = await _portal_run(browser, portal.url, open_hub)
    assert "error" not in result, result
    assert result["trackingNumber"] and result["status"] == "RECEIVED" and result["total"] >= 1
    assert result["event"] == "REPORT_FORWARDED"


async def test_a_page_on_another_origin_reads_nothing_and_opens_no_socket(
        open_hub: Federation, portal: Portal, browser: Browser) -> None:
    assert await _portal_run(browser, portal.other_url, open_hub) == {"error": "Error: socket refused"}


async def test_preflight_and_answers_name_the_allowed_origin_only(open_hub: Federation, portal: Portal) -> None:
    hub = open_hub.hub
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "authorization, content-type"}
    async with aiohttp.ClientSession() as session:
        async with session.options(hub.graphql_url, headers={"origin": portal.origin, **preflight}) as allowed:
            assert allowed.status == 200
            assert allowed.headers["access-control-allow-origin"] == portal.origin
            assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
            assert "Origin" in allowed.headers["vary"]
        async with session.options(hub.graphql_url, headers={"origin": "https://evil.example", **preflight}) as other:
            assert "access-control-allow-origin" not in other.headers
        body = json.dumps({"query": "{ __typename }"})
        for origin, allowed_origin in ((portal.origin, portal.origin), ("https://evil.example", None)):
            async with session.post(hub.graphql_url, data=body, headers={
                    "origin": origin, "content-type": "application/json"}) as answer:
                assert answer.status == 200
                assert answer.headers.get("access-control-allow-origin") == allowed_origin
                assert "Origin" in answer.headers["vary"]  # a cache keeps one answer per origin
        async with session.post(hub.graphql_url, data=body, headers={
                "origin": portal.origin, "content-type": "application/json", "simpul-budget": "soon"}) as refused:
            assert refused.status == 400  # the budget's refusal: the page may read why
            assert refused.headers.get("access-control-allow-origin") == portal.origin
        async with session.get(hub.url + "/open311/v2/services.json", headers={"origin": portal.origin}) as open311:
            assert open311.headers.get("access-control-allow-origin") == portal.origin
        async with session.get(hub.url + "/healthz", headers={"origin": portal.origin}) as other_path:
            assert "access-control-allow-origin" not in other_path.headers  # not a path for browser apps


async def test_a_socket_from_another_origin_is_refused_and_one_without_origin_is_not(
        open_hub: Federation, portal: Portal) -> None:
    ws_url = open_hub.hub.graphql_url.replace("http", "ws", 1)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(ws_url, protocols=("graphql-transport-ws",),
                                     headers={"origin": "https://evil.example"})
        assert refused.value.status == 403
        for headers in ({"origin": portal.origin}, {}):
            async with session.ws_connect(ws_url, protocols=("graphql-transport-ws",), headers=headers) as ws:
                await ws.send_json({"type": "connection_init", "payload": {}})
                assert (await ws.receive_json(timeout=5))["type"] == "connection_ack"


@pytest.mark.parametrize(("given", "said"), [
    ("*", "'*' is not allowed: name each portal's origin"),
    ("portal.kaltimprov.go.id", "not an origin (scheme://host[:port], no path)"),
    ("https://portal.kaltimprov.go.id/lapor", "not an origin (scheme://host[:port], no path)"),
])
def test_origins_that_are_not_one_are_refused_at_start(given: str, said: str, tmp_path: Path) -> None:
    refused = run_cli("hub", "--cors-origins", given, "--data-dir", str(tmp_path), timeout=30)
    assert refused.returncode != 0
    assert said in refused.stderr


def test_the_demo_prints_the_portal_command_of_the_readme() -> None:
    assert shlex.split(PORTAL_COMMAND) == readme_serve_command()


async def test_the_reference_portal_submits_tracks_and_counts_the_report_live(
        open_hub: Federation, reference_portal: str, browser: Browser) -> None:
    hub = open_hub.hub
    key = await create_key(hub.database_url, "integrator", "64", ["stats"], name="Portal Kaltim", published=True)
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(f"{reference_portal}/#hub={hub.url}&key={key}&region=64&name=Kalimantan%20Timur")
        await expect(page.locator("#province")).to_have_text("Kalimantan Timur")
        await expect(page.locator("#live")).to_have_attribute("data-state", "live")
        before = int((await page.locator("#total").text_content() or "").replace(".", ""))

        await page.fill("input[name=title]", "Puskesmas tutup di jam layanan")
        await page.fill("textarea[name=body]", "Puskesmas Sangatta tutup pukul 10 pada hari kerja.")
        await page.select_option("select[name=category]", "kesehatan")
        await page.check("input[name=anonymous]")
        await page.click("#report-form button")
        await expect(page.locator("#submitted")).to_be_visible()
        number = await page.locator("#tracking-number").text_content()
        assert number and re.fullmatch(r"[A-Za-z0-9-]+", number), number

        # Counted live, with no reload: the subscription sends the province's counts again.
        await expect(page.locator("#total")).to_have_text(str(before + 1), timeout=15_000)
        await expect(page.locator("#by-status")).to_contain_text("Diterima")

        await expect(page.locator("#number")).to_have_value(number)
        await page.click("#track-form button")
        await expect(page.locator("#status")).to_have_attribute("data-status", "RECEIVED")
        await expect(page.locator("#timeline")).to_contain_text("Laporan diterima")
        await page.fill("#number", "lpr-bukan-nomor")
        await page.click("#track-form button")
        await expect(page.locator("#track-error")).not_to_be_empty()
    finally:
        await context.close()


async def test_the_portal_key_reads_counts_live_and_nothing_else(open_hub: Federation) -> None:
    hub = open_hub.hub
    portal = bearer(await create_key(hub.database_url, "integrator", "64", ["stats"], published=True))
    async with aiohttp.ClientSession() as session:
        counts = await Subscription.open(session, hub.graphql_url, FIGURES, {"scope": {"regionPrefix": "64"}},
                                         headers=portal)
        try:
            [first] = await counts.wait_for(lambda s: s.data)
            report = {"kind": "PENGADUAN", "title": "Lampu jalan mati", "body": "Tiga tiang mati sejak Senin.",
                      "category": "infrastruktur", "regionCode": "64"}
            submitted = await graphql(session, hub.graphql_url, "mutation ($r: SubmitReportInput!) {"
                                      " submitReport(report: $r) { trackingNumber } }", {"r": report}, headers={})
            assert "errors" not in submitted, submitted
            total = first["stats"]["total"]
            again = await counts.wait_for(lambda s: [d for d in s.data if d["stats"]["total"] > total])
            assert again[0]["stats"]["total"] == total + 1
            totals = [d["stats"]["total"] for d in counts.data]
            assert all(a != b for a, b in zip(totals, totals[1:], strict=False)), totals  # sent only when changed
        finally:
            await counts.close()

        for read in ("{ reports { reports { trackingNumber } } }", '{ report(id: "64:1") { title } }'):
            refused = await graphql(session, hub.graphql_url, read, headers=portal)
            assert "this integrator key is not allowed" in refused["errors"][0]["message"], refused
        for query, headers, said in (
            ("subscription { events { trackingNumber } }", portal, "this integrator key is not allowed events"),
            (FIGURES, {}, "stats needs an API key"),
            (FIGURES.replace("= 1", "= 9"), portal, "regionLevel must be between 1 and 4"),
        ):
            refused_socket = await Subscription.open(session, hub.graphql_url, query, headers=headers)
            try:
                ended = await refused_socket.wait_for(
                    lambda s: [m for m in s.messages if m["type"] in ("error", "next")])
                assert said in json.dumps(ended), ended
                assert not refused_socket.data
            finally:
                await refused_socket.close()
