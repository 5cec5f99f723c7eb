"""The compliance dashboard in a real browser, against a real hub and desks.

Kalsel (63) follows up on time: green. Kutai Timur (64.08) followed up one
report late and left one past its deadline: Kaltim (64) is yellow. Kaltara's
desk (65) is down: red. Kaltim's province desk has nothing to time: grey, not
green. The zones are simpul's complaint-handling performance, labelled so,
never the Ombudsman's. A national supervisor (the Ombudsman) sees all three,
drills down to Kutai Timur's reports and downloads Kaltim's annual report; a
Kaltim supervisor sees Kaltim only. The tile map shows all 38 provinces, and
the charts (SVG drawn by the hub) the figures the hub's GraphQL gives. Debian's
Chromium runs headless through playwright, which is given its path and
downloads nothing. Screenshots go to the test's own folder, or to docs/img
with SIMPUL_SCREENSHOTS=1 (`make screenshots`), so `make test` changes no file.
"""

from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Locator, Page, expect
from pypdf import PdfReader
from yarl import URL

from hub.dashboard.charts import MONTH_LABELS
from hub.dashboard.monitoring_report import COLUMNS, TOTAL, percent
from hub.dashboard.tilemap import TILES
from hub.sla.period import MONTHS
from hub.sla.zones import ZONE_NAMES, Zone
from tests.federation import (
    Federation,
    bearer,
    create_key,
    eventually,
    graphql,
    national_admin,
    start_desks,
    start_hub,
    submit,
)
from tests.integration.test_sla import WITA, in_ledger, indexed_as, morning, set_status, today, working_days_before

PASSWORD = "kata sandi yang panjang"
REPORTER = ("Siti Rahmawati", "081234567890")  # must never appear in a download
RAHASIA_TITLE = "Pungutan liar di loket puskesmas"  # a confidential report's title: never on the dashboard
ZONE_RGB = {"GREEN": (46, 125, 50), "YELLOW": (249, 168, 37), "RED": (198, 40, 40), "GREY": (158, 158, 158)}
YEAR = today().year
DOCS_IMAGES = Path(__file__).parents[2] / "docs" / "img"
LATE = working_days_before(today(), 10)  # received then: ten working days ago, past both unit deadlines

SERIES = """
query Series($region: String, $year: Int!) {
  complianceSeries(regionPrefix: $region, year: $year) { month reportsReceived
    handling { selesai stages { stage due onTimeShare } } }
}
"""
ZONES = """
query Zones($region: String, $year: Int) {
  complianceZones(regionPrefix: $region, year: $year) {
    regionCode regionName zone
    figures { units reachableUnits reachableShare reportsReceived followUpsDue followUpsOnTime onTimeShare overdue }
    units { node name zone reachable
      figures { units reachableUnits reachableShare reportsReceived followUpsDue followUpsOnTime onTimeShare overdue
                untimed } }
  }
}
"""


@dataclass
class World:
    federation: Federation
    kutim_reports: dict[str, str]  # tracking number -> status, of Kutai Timur's reports received this year
    expected_kaltim: str  # YELLOW; GREEN in early January, when the late reports fall in last year

    @property
    def url(self) -> str:
        return self.federation.hub.url


@pytest.fixture(scope="module")
def running(module_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    folder = tmp_path_factory.mktemp("dashboard")
    with Federation(start_hub(module_database, folder)) as federation:
        start_desks(federation, folder, {"63": "PROVINSI", "64": "PROVINSI", "64.08": "KABKOTA", "65": "PROVINSI"},
                    named="Unit Pengaduan")
        yield federation


@pytest.fixture(scope="module")
async def world(running: Federation) -> World:
    hub = running.hub
    async with aiohttp.ClientSession() as session:
        async def report(code: str, received: date | None = None, follow_up: bool = True, **extra: Any) -> str:
            fields: dict[str, Any] = {"reporterName": REPORTER[0], "reporterContact": REPORTER[1], **extra}
            if received is not None:
                fields["receivedAt"] = morning(received)
            made = await submit(session, running.desks[code], as_operator=True, **fields)
            if follow_up:
                now = datetime.now(WITA).isoformat()
                await set_status(session, running.desks[code], made["id"], "VERIFIED", now)
                await set_status(session, running.desks[code], made["id"], "IN_PROCESS", now, note="Sedang ditangani")
            return str(made["trackingNumber"])

        old = {await report("64.08", LATE): "IN_PROCESS", await report("64.08", LATE, follow_up=False): "RECEIVED"}
        kutim = {await report("64.08"): "IN_PROCESS" for _ in range(2)}
        kutim[await report("64.08", confidential=True, title=RAHASIA_TITLE)] = "IN_PROCESS"
        others = [await report("63"), await report("65", follow_up=False)]
        await in_ledger(session, hub, *old, *kutim, *others)
        await indexed_as(session, hub, {**old, **kutim})  # the dashboard reads what the feeds have told
        running.desks["65"].process.stop()  # Kaltara's desk goes down
        if LATE.year == YEAR:
            kutim.update(old)

        for username, region in (("ombudsman", ""), ("pengawas-kaltim", "64")):
            made = await graphql(session, hub.graphql_url, "mutation($u: UserInput!) { createUser(user: $u) "
                                 "{ username } }", {"u": {"username": username, "name": f"Pengawas {region or 'RI'}",
                                                        "role": "SUPERVISOR", "regionCode": region,
                                                        "password": PASSWORD}})
            assert "errors" not in made, made
        entered = await graphql(session, hub.graphql_url, "mutation($y: Int!) { enterOmbudsmanScore(score: "
                                "{unitKind: REGION, unit: \"65\", year: $y, score: 72.5, source: \"Ombudsman RI\"})"
                                " { zone } }", {"y": YEAR})
        assert entered["data"]["enterOmbudsmanScore"]["zone"] == "KUNING", entered

        async def settled() -> bool:
            body = await graphql(session, hub.graphql_url, ZONES, {"year": YEAR})
            zones = {r["regionCode"]: r for r in body["data"]["complianceZones"]}
            kutim_figures = zones["64"]["units"][1]["figures"] if "64" in zones else {}
            return zones.get("65", {}).get("zone") == "RED" and kutim_figures.get("followUpsDue") == len(kutim)

        await eventually(settled, timeout=20)
    return World(running, kutim, "YELLOW" if LATE.year == YEAR else "GREEN")


async def log_in(page: Page, world: World, username: str, password: str = PASSWORD) -> None:
    await page.goto(world.url + "/dashboard")
    await page.get_by_label("Nama pengguna").fill(username)
    await page.get_by_label("Kata sandi").fill(password)
    await page.get_by_role("button", name="Masuk").click()


async def tiles(page: Page, where: str) -> dict[str, str]:
    """code -> zone of the tiles shown in #provinces or #units."""
    found = page.locator(f"#{where} .tile")
    return {await t.get_attribute("data-code") or "": await t.get_attribute("data-zone") or ""
            for t in await found.all()}


def screenshots(tmp_path: Path) -> Path:
    """docs/img when SIMPUL_SCREENSHOTS=1 (`make screenshots` refreshes the docs' pictures), else the test's own
    folder: the pictures carry today's dates, so `make test` must not write them into the clone."""
    return DOCS_IMAGES if os.environ.get("SIMPUL_SCREENSHOTS") == "1" else tmp_path


async def map_zones(page: Page) -> dict[str, str]:
    """code -> zone (or NONE, OUT) of each tile of the map."""
    return {await t.get_attribute("data-code") or "": await t.get_attribute("data-zone") or ""
            for t in await page.locator("#tilemap .map-tile").all()}


async def chart_marks(world: World, page: Page, image: Locator) -> dict[tuple[str, str], float]:
    """(series, label) -> value of the marks of the chart an <img> shows, fetched again as the page did (an <img>
    from a blob cannot be read back under the page's CSP)."""
    chart, query = await image.get_attribute("data-chart"), await image.get_attribute("data-shown")
    assert await image.evaluate("i => i.complete && i.naturalWidth") == 720  # drawn, not a broken image
    assert (await image.get_attribute("alt") or "").startswith("Grafik ")
    token = await page.evaluate("sessionStorage.getItem('simpul.dashboard.session')")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{world.url}/dashboard/chart/{chart}.svg?{query}", headers=bearer(token)) as answer:
            assert (answer.status, answer.content_type) == (200, "image/svg+xml")
            drawing = ET.fromstring(await answer.text())
    assert REPORTER[0] not in ET.tostring(drawing, encoding="unicode")
    return {(e.get("data-series", ""), e.get("data-label", "")): float(e.get("data-value", ""))
            for e in drawing.iter() if e.get("data-value") is not None}


def zone_pixels(screenshot: Path, box: dict[str, float], zone: str) -> float:
    """Share of the pixels in `box` that have the zone's colour."""
    image = Image.open(screenshot).convert("RGB")
    area = image.crop((int(box["x"]), int(box["y"]), int(box["x"] + box["width"]), int(box["y"] + box["height"])))
    target = ZONE_RGB[zone]
    data = area.tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3], strict=True))
    near = sum(1 for p in pixels if all(abs(c - t) <= 8 for c, t in zip(p, target, strict=True)))
    return near / len(pixels)


async def zones_by_graphql(world: World, region: str | None = None) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        body = await graphql(session, world.federation.hub.graphql_url, ZONES, {"region": region, "year": YEAR})
    assert "errors" not in body, body
    return {r["regionCode"]: r for r in body["data"]["complianceZones"]}


async def test_a_wrong_password_is_refused_with_a_message(world: World, page: Page) -> None:
    await log_in(page, world, "ombudsman", "bukan kata sandinya")

    await expect(page.get_by_role("alert").first).to_have_text("Nama pengguna atau kata sandi salah.")
    await expect(page.locator("#board")).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0


async def test_the_ombudsman_sees_each_province_in_its_zone_and_drills_down_to_a_units_reports(
    world: World, page: Page, tmp_path: Path
) -> None:
    await log_in(page, world, "ombudsman")
    await expect(page.locator("#provinces .tile")).to_have_count(3)

    shown = await tiles(page, "provinces")
    assert shown == {"63": "GREEN", "64": world.expected_kaltim, "65": "RED"}
    assert shown == {code: r["zone"] for code, r in (await zones_by_graphql(world)).items()}
    kaltara = page.locator('#provinces .tile[data-code="65"]')
    await expect(kaltara).to_contain_text("Kalimantan Utara")
    await expect(kaltara).to_contain_text("Zona kinerja Merah")  # the zone in words, not only in colour
    legend = page.locator(".legend")
    await expect(legend).to_contain_text("Arti zona kinerja pengaduan simpul")
    await expect(legend).to_contain_text("bukan zona kepatuhan standar pelayanan publik dari Ombudsman RI")
    await expect(legend).to_contain_text("minimal 90,0% unit terhubung")  # the hub's own thresholds
    await expect(legend).to_contain_text("Abu-abu")
    await expect(kaltara).to_contain_text("Unit terhubung: 0 dari 1")
    # the Ombudsman's own score sits beside simpul's red, labelled as the Ombudsman's
    await expect(kaltara).to_contain_text(f"Penilaian kepatuhan Ombudsman RI {YEAR}: 72,50 (Kuning)")
    # the map: every province, those with units in their zone, the rest said to have none
    await expect(page.locator("#tilemap .map-tile")).to_have_count(len(TILES))
    assert await map_zones(page) == {**{code: "NONE" for code, *_ in TILES}, **shown}
    await expect(page.locator('#tilemap [data-code="65"]')).to_contain_text("Merah")
    await expect(page.locator('#tilemap [data-code="11"]')).to_contain_text("Tanpa unit")
    screenshot = tmp_path / "provinsi.png"
    await page.screenshot(path=screenshot, full_page=True)
    for code, zone in shown.items():
        for where in (f'#provinces .tile[data-code="{code}"]', f'#tilemap [data-code="{code}"]'):
            box = await page.locator(where).bounding_box()
            assert box is not None
            assert zone_pixels(screenshot, box, zone) > 0.5, (where, zone)

    await page.locator('#tilemap button[data-code="64"]').click()  # drilled down from the map
    await expect(page.locator("#units .tile")).to_have_count(2)
    units = await tiles(page, "units")
    assert units == {"64": "GREY", "64.08": world.expected_kaltim}  # the province desk had nothing to time
    await expect(page.locator("#units .kabkota h5")).to_have_text(
        ["Tingkat provinsi: Kalimantan Timur (64)", "Kabupaten Kutai Timur (64.08)"])  # by kabupaten/kota
    await expect(page.locator("#province-title")).to_have_text("Kalimantan Timur - Zona kinerja pengaduan simpul: "
                                                               f"{ZONE_NAMES[Zone(world.expected_kaltim)]}")

    await page.locator('#units .tile[data-code="64.08"]').click()
    rows = page.locator("#reports tbody tr")
    await expect(rows).to_have_count(len(world.kutim_reports))
    numbers = await rows.locator("td:first-child").all_inner_texts()
    assert sorted(numbers) == sorted(world.kutim_reports)
    assert REPORTER[0] not in await page.content()
    assert RAHASIA_TITLE not in await page.content(), "a rahasia report is not published, even to the Ombudsman"
    await expect(rows.filter(has_text="Laporan rahasia")).to_have_count(1)
    for status in ("RECEIVED", "IN_PROCESS"):
        await page.get_by_label("Status").select_option(status)
        await expect(rows).to_have_count(sum(1 for s in world.kutim_reports.values() if s == status))
    await expect(rows.first.locator("td").nth(3)).to_have_text("Ditindaklanjuti")
    # A unit's COMPLETED is its answer posted, not selesai (that is the reporter's 10 working days later).
    await expect(page.get_by_label("Status").locator('option[value="COMPLETED"]')).to_have_text("Ditanggapi")
    await page.screenshot(path=tmp_path / "unit-64.08.png", full_page=True)

    await page.get_by_role("button", name="Semua provinsi").click()
    await page.get_by_label("Zona kinerja", exact=True).select_option("RED")
    assert await tiles(page, "provinces") == {"65": "RED"}


async def test_the_annual_report_downloads_as_csv_and_pdf_with_the_hubs_figures(
    world: World, page: Page, tmp_path: Path
) -> None:
    await log_in(page, world, "ombudsman")
    await page.locator('#provinces .tile[data-code="64"]').click()
    expected = (await zones_by_graphql(world, "64"))["64"]

    async with page.expect_download() as csv_download:
        await page.get_by_role("button", name="Unduh CSV").click()
    download = await csv_download.value
    assert download.suggested_filename == f"laporan-tahunan-64-{YEAR}.csv"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = saved.read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["unit"] for r in rows] == [u["node"] for u in expected["units"]] + [TOTAL]
    for row, unit in zip(rows, [*expected["units"], expected], strict=True):
        figures = unit["figures"]
        assert row["simpul_zone"] == unit["zone"]
        assert int(row["reports_received"]) == figures["reportsReceived"]
        assert int(row["follow_ups_on_time"]) == figures["followUpsOnTime"]
        assert int(row["overdue"]) == figures["overdue"]
        assert float(row["reachable_share"]) == figures["reachableShare"]
        assert (float(row["on_time_share"]) if row["on_time_share"] else None) == pytest.approx(
            figures["onTimeShare"])
    assert rows[-1]["unit_name"] == "Kalimantan Timur"
    assert REPORTER[0] not in text and REPORTER[1] not in text and RAHASIA_TITLE not in text

    async with page.expect_download() as pdf_download:
        await page.get_by_role("button", name="Unduh PDF").click()
    saved = tmp_path / "laporan.pdf"
    await (await pdf_download.value).save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    pdf_text = " ".join(p.extract_text() for p in PdfReader(saved).pages)
    assert "Kalimantan Timur (64)" in pdf_text
    assert "bukan zona kepatuhan standar pelayanan publik dari Ombudsman RI" in " ".join(pdf_text.split())
    assert str(YEAR) in pdf_text
    lines = pdf_text.splitlines()
    for code, name, unit in [(u["node"], u["name"], u) for u in expected["units"]] + [
            ("64", "Total Kalimantan Timur", expected)]:
        f = unit["figures"]
        assert (f"{code} {name} {ZONE_NAMES[Zone(unit['zone'])]} {f['reportsReceived']} {f['followUpsDue']} "
                f"{percent(f['onTimeShare'])} {f['overdue']} {percent(f['reachableShare'])} 0 -") in lines
    assert REPORTER[0] not in pdf_text and RAHASIA_TITLE not in pdf_text
    # the dashboard's charts, drawn into the PDF as text and lines
    charts = pdf_text.split(" Grafik\n", 1)[1]  # pages of their own, after the tables and notes
    assert f"Laporan diterima dan selesai per bulan - Kalimantan Timur {YEAR}" in charts
    for unit in expected["units"]:
        f = unit["figures"]
        assert (f"{unit['node']} {unit['name']} {f['reportsReceived']} {percent(f['onTimeShare'])} "
                f"({ZONE_NAMES[Zone(unit['zone'])]})") in charts.splitlines()

    await page.get_by_label("Tahun").select_option("Semua tahun")  # every report held: no annual report
    await expect(page.get_by_role("button", name="Unduh CSV")).to_be_disabled()
    await expect(page.get_by_text("Pilih satu tahun untuk mengunduh laporan tahunan.")).to_be_visible()


async def test_the_charts_show_each_months_reports_and_each_units_figures_as_the_hub_counts_them(
    world: World, page: Page, tmp_path: Path
) -> None:
    await log_in(page, world, "ombudsman")
    units_chart = page.locator("#chart-units")
    await expect(units_chart).to_have_attribute("data-shown", f"year={YEAR}")
    zones = await zones_by_graphql(world)
    national = await chart_marks(world, page, units_chart)  # the country: its provinces compared
    assert {label: value for (series, label), value in national.items() if series == "received"} == {
        f"{code} {r['regionName']}": r["figures"]["reportsReceived"] for code, r in zones.items()}
    await page.locator("#map-view").screenshot(path=screenshots(tmp_path) / "dashboard-map.png")

    await page.locator('#tilemap button[data-code="64"]').click()
    for chart in ("received", "stages", "units"):
        await expect(page.locator(f"#chart-{chart}")).to_have_attribute("data-shown", f"year={YEAR}&region=64")
    received = await chart_marks(world, page, page.locator("#chart-received"))
    stages = await chart_marks(world, page, page.locator("#chart-stages"))
    async with aiohttp.ClientSession() as session:
        body = await graphql(session, world.federation.hub.graphql_url, SERIES, {"region": "64", "year": YEAR})
    assert "errors" not in body, body
    months = body["data"]["complianceSeries"]
    assert [m["month"] for m in months] == list(range(1, today().month + 1))
    for month in months:
        label = MONTH_LABELS[month["month"] - 1]
        assert (received[("received", label)], received[("selesai", label)]) == (
            month["reportsReceived"], month["handling"]["selesai"])
        for stage in month["handling"]["stages"]:
            assert stages.get((stage["stage"].lower(), label)) == pytest.approx(stage["onTimeShare"], abs=1e-4)
    # which is what this test made: Kutai Timur's reports of this year, in the months they came in, none selesai
    this_month = MONTH_LABELS[today().month - 1]
    assert received[("received", this_month)] == 3 + (2 if (LATE.year, LATE.month) == (YEAR, today().month) else 0)
    assert sum(m["reportsReceived"] for m in months) == len(world.kutim_reports)
    assert not any(m["handling"]["selesai"] for m in months)
    units = await chart_marks(world, page, units_chart)
    for unit in zones["64"]["units"]:
        label = f"{unit['node']} {unit['name']}"
        assert units[("received", label)] == unit["figures"]["reportsReceived"]
        assert units.get(("on_time", label)) == pytest.approx(unit["figures"]["onTimeShare"], abs=1e-4)
    await page.locator("#charts").screenshot(path=screenshots(tmp_path) / "dashboard-charts.png")
    await page.locator("#province-view").screenshot(path=screenshots(tmp_path) / "dashboard-province.png")

    # down to a kabupaten: Kutai Timur's own charts, from its heading; then the province's again
    await page.locator('#units button.charts-of[data-region="64.08"]').click()
    await expect(units_chart).to_have_attribute("data-shown", f"year={YEAR}&region=64.08")
    await expect(page.locator("#charts-title")).to_have_text("Grafik: Kabupaten Kutai Timur (64.08)")
    kutim = await chart_marks(world, page, page.locator("#chart-received"))
    assert sum(v for (series, _), v in kutim.items() if series == "received") == len(world.kutim_reports)
    assert {label for series, label in await chart_marks(world, page, units_chart) if series == "received"} == {
        f"{u['node']} {u['name']}" for u in zones["64"]["units"] if u["node"].startswith("64.08")}
    await page.locator('#units button.charts-of[data-region="64"]').click()
    await expect(units_chart).to_have_attribute("data-shown", f"year={YEAR}&region=64")
    await expect(page.locator("#charts-title")).to_have_text("Grafik: Kalimantan Timur")

    await page.get_by_label("Tahun").select_option("Semua tahun")  # a chart needs a year
    await expect(page.get_by_text("Pilih satu tahun untuk melihat grafik.")).to_be_visible()
    await expect(units_chart).to_be_hidden()


MONTH_FIGURES = """
query Month($year: Int, $month: Int) {
  compliance(regionPrefix: "64", year: $year, month: $month) {
    node reportsHeld
    handling { selesai inProcess rejectedOrArchived byKind { kind count } byChannel { channel count }
               stages { stage due onTime } }
  }
}
"""


async def test_a_months_report_counts_that_months_reports_on_the_regions_clock_with_what_became_of_them(
    world: World, page: Page, tmp_path: Path
) -> None:
    this_month = today().month
    async with aiohttp.ClientSession() as session:
        body = await graphql(session, world.federation.hub.graphql_url, MONTH_FIGURES,
                             {"year": YEAR, "month": this_month})
    assert "errors" not in body, body
    by_unit = {u["node"]: u for u in body["data"]["compliance"]}
    kutim_this_month = 3 + (2 if LATE.month == this_month else 0)  # the late two belong to LATE's month
    assert by_unit["64.08"]["reportsHeld"] == kutim_this_month

    await log_in(page, world, "ombudsman")
    await page.get_by_label("Bulan").select_option(str(this_month))
    await page.locator('#provinces .tile[data-code="64"]').click()
    await expect(page.locator("#province-summary")).to_contain_text(
        f"{kutim_this_month} laporan diterima {MONTHS[this_month - 1]} {YEAR}; ")
    await expect(page.locator("#province-summary")).to_contain_text(f"0 selesai, {kutim_this_month} dalam proses.")
    async with page.expect_download() as csv_download:
        await page.get_by_role("button", name="Unduh CSV").click()
    download = await csv_download.value
    label = f"{YEAR}-{this_month:02d}"
    assert download.suggested_filename == f"laporan-bulanan-64-{label}.csv"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    rows = {r["unit"]: r for r in csv.DictReader(io.StringIO(saved.read_text()))}
    assert {r["period"] for r in rows.values()} == {label}
    for code, unit in by_unit.items():
        row, handling = rows[code], unit["handling"]
        assert int(row["reports_received"]) == unit["reportsHeld"]
        assert (int(row["selesai"]), int(row["in_process"]), int(row["rejected_or_archived"])) == (
            handling["selesai"], handling["inProcess"], handling["rejectedOrArchived"])
        for kind in handling["byKind"]:
            assert int(row[f"received_{kind['kind'].lower()}"]) == kind["count"]
        for channel in handling["byChannel"]:
            assert int(row[f"channel_{channel['channel'].lower()}"]) == channel["count"]
        for stage in handling["stages"]:
            assert (int(row[f"{stage['stage'].lower()}_due"]), int(row[f"{stage['stage'].lower()}_on_time"])) == (
                stage["due"], stage["onTime"])
    assert rows["64.08"]["received_pengaduan"] == str(kutim_this_month)
    for row in rows.values():  # each report counted once by kind, and once by the channel it came in by
        received = int(row["reports_received"])
        assert sum(int(v) for c, v in row.items() if c.startswith("received_")) == received
        assert sum(int(v) for c, v in row.items() if c.startswith("channel_")) == received
    assert int(rows[TOTAL]["in_process"]) == sum(u["handling"]["inProcess"] for u in by_unit.values())


async def test_a_period_that_is_not_one_is_refused_with_the_reason(world: World) -> None:
    url = f"{world.url}/dashboard/report/64.csv"
    supervisor = await create_key(world.federation.hub.database_url, "supervisor", "64")
    async with aiohttp.ClientSession() as session:
        for query, reason in ((f"?year={YEAR}&month=13", "month must be between 1 and 12, not 13"),
                              (f"?year={YEAR}&month=maret", "month must be a number, e.g. ?year=2026&month=3"),
                              ("?year=dua", "year must be a number, e.g. ?year=2026&month=3")):
            async with session.get(url + query, headers=bearer(supervisor)) as refused:
                assert (refused.status, (await refused.json())["error"]) == (400, reason)
        body = await graphql(session, world.federation.hub.graphql_url, MONTH_FIGURES, {"year": None, "month": 3})
        assert body["errors"][0]["message"] == "month needs a year, e.g. year: 2026, month: 3"


async def test_a_kaltim_supervisor_sees_only_kaltim_and_may_not_download_kaltara(world: World, page: Page) -> None:
    await log_in(page, world, "pengawas-kaltim")
    await expect(page.locator("#provinces .tile")).to_have_count(1)
    assert await tiles(page, "provinces") == {"64": world.expected_kaltim}
    assert await map_zones(page) == {**{code: "OUT" for code, *_ in TILES}, "64": world.expected_kaltim}
    token = await page.evaluate("sessionStorage.getItem('simpul.dashboard.session')")

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{world.url}/dashboard/report/65.csv?year={YEAR}", headers=bearer(token)) as answer:
            assert answer.status == 403
            assert (await answer.json())["error"] == (
                "supervisor of 64 may not download the annual report in region 65")
        async with session.get(f"{world.url}/dashboard/report/64.08.csv?year={YEAR}", headers=bearer(token)) as ok:
            assert ok.status == 200
            assert [r["unit"] for r in csv.DictReader(io.StringIO(await ok.text()))] == ["64.08", TOTAL]
        chart = f"{world.url}/dashboard/chart/units.svg?year={YEAR}"
        async with session.get(chart + "&region=65", headers=bearer(token)) as refused:
            assert (refused.status, (await refused.json())["error"]) == (
                403, "supervisor of 64 may not read the dashboard's charts in region 65")
        async with session.get(chart, headers=bearer(token)) as own:  # no region: the supervisor's own, Kaltim
            assert "Perbandingan unit - Kalimantan Timur" in await own.text()


async def test_coverage_shows_connected_of_expected_units_per_province_and_names_those_not_connected(
    world: World, page: Page
) -> None:
    await log_in(page, world, "ombudsman")
    await expect(page.locator("#provinces .tile")).to_have_count(3)
    # Kaltara expects its government and five kabupaten/kota; its desk is down but still enrolled and active
    await expect(page.locator('#provinces .tile[data-code="65"]')).to_contain_text("Keterhubungan: 1 dari 6 (16,7%)")
    await expect(page.locator('#provinces .tile[data-code="64"]')).to_contain_text("Keterhubungan: 2 dari 11")
    rows = page.locator("#coverage-table tbody tr")
    await expect(rows).to_have_count(38)  # every province is expected, connected or not
    await expect(page.locator('#coverage-table tr[data-code="11"]')).to_contain_text("Aceh")
    await expect(page.locator('#coverage-table tr[data-code="11"] td').nth(2)).to_have_text("0")
    await expect(page.locator("#coverage-summary")).to_contain_text("4 dari 552 unit")

    await page.locator('#provinces .tile[data-code="64"]').click()
    missing = page.locator("#not-connected li")
    await expect(missing).to_have_count(9)
    names = await missing.all_inner_texts()
    assert "Pemerintah Kabupaten Paser (64.01)" in names
    assert not [n for n in names if "Kutai Timur" in n or "Provinsi" in n]
    await expect(page.locator("#province-coverage-summary")).to_contain_text("2 dari 11 unit")

    async with aiohttp.ClientSession() as session:
        async with session.get(f"{world.url}/dashboard/report/64.csv?year={YEAR}",
                               headers=await national_admin(world.federation.hub.graphql_url)) as answer:
            total = list(csv.DictReader(io.StringIO(await answer.text())))[-1]
    assert (total["unit"], total["expected_units"], total["connected_units"]) == (TOTAL, "11", "2")


async def test_downloads_need_a_session_or_key_of_a_role_that_may_see_zones(world: World) -> None:
    url = f"{world.url}/dashboard/report/64.csv?year={YEAR}"
    integrator = await create_key(world.federation.hub.database_url, "integrator", "64", ["compliance"])
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as anonymous:
            assert anonymous.status == 401
            assert anonymous.headers["www-authenticate"] == "Bearer"
        async with session.get(url, headers=bearer("ses_not-a-session")) as wrong:
            assert wrong.status == 401
        async with session.get(url, headers=bearer(integrator)) as machine:
            assert machine.status == 403
        supervisor = await create_key(world.federation.hub.database_url, "supervisor", "64")
        async with session.get(url.replace(str(YEAR), "1999"), headers=bearer(supervisor)) as old:
            assert old.status == 400
            assert (await old.json())["error"].startswith("year must be between 2000 and")
        async with session.get(f"{world.url}/dashboard/report/64.xlsx", headers=bearer(supervisor)) as other:
            assert other.status == 404
        async with session.get(url, headers=bearer(supervisor)) as allowed:
            assert allowed.status == 200
            assert allowed.headers["content-type"] == "text/csv; charset=utf-8"
        chart = f"{world.url}/dashboard/chart/received.svg?year={YEAR}"
        for headers, status in ((None, 401), (bearer(integrator), 403), (bearer(supervisor), 200)):
            async with session.get(chart, headers=headers) as answer:
                assert answer.status == status
        async with session.get(f"{world.url}/dashboard/chart/pie.svg", headers=bearer(supervisor)) as unknown:
            assert (unknown.status, (await unknown.json())["error"]) == (404, "the charts are received, stages, units")


async def test_the_page_is_served_with_a_strict_content_security_policy(world: World) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("/dashboard", "/dashboard/static/dashboard.js"):
            async with session.get(world.url + path) as answer:
                assert answer.status == 200
                policy = answer.headers["content-security-policy"]
                assert "default-src 'none'" in policy and "script-src 'self'" in policy
                assert "unsafe-inline" not in policy
        async with session.get(URL(world.url + "/dashboard/static/%2e%2e/routes.py", encoded=True)) as escape:
            assert escape.status == 404
