// The compliance dashboard: provinces by simpul's complaint-handling zone (zona kinerja pengaduan simpul, not the
// Ombudsman's zone) on a tile map of Indonesia and as tiles, then a province's units by kabupaten/kota, then a
// unit's reports; charts of the region drawn by the hub (SVG, shown as images).
// Every piece of data goes into the page as text (textContent), never as HTML.

import { ApiError, SignedOut, download, fetchFile, graphql, logIn, logOut, token } from "./api.js";

const ZONE_NAMES = { GREEN: "Hijau", YELLOW: "Kuning", RED: "Merah", GREY: "Abu-abu (data kurang)" };
const MAP_WORDS = { GREEN: "Hijau", YELLOW: "Kuning", RED: "Merah", GREY: "Abu-abu", NONE: "Tanpa unit",
  OUT: "Di luar wilayah" };
// The hub's charts (hub/dashboard/charts.py), each with the words that stand for it where the image cannot.
const CHARTS = {
  received: "Grafik laporan diterima dan selesai per bulan",
  stages: "Grafik tindak lanjut tepat waktu per tahap per bulan",
  units: "Grafik perbandingan unit: laporan diterima dan tindak lanjut tepat waktu",
};
const ZONE_TITLE = "Zona kinerja pengaduan simpul";
const OMBUDSMAN_ZONES = { HIJAU: "Hijau", KUNING: "Kuning", MERAH: "Merah" };
// A unit's COMPLETED is its tanggapan posted; the report is selesai only after the reporter's 10 working days pass
// without a reply (hub/sla/selesai.py), so the unit's word is shown as "Ditanggapi", never as "Selesai".
const STATUS_NAMES = {
  RECEIVED: "Diterima", ON_HOLD: "Ditunda", VERIFIED: "Terverifikasi", FORWARDED: "Didisposisi",
  IN_PROCESS: "Ditindaklanjuti", COMPLETED: "Ditanggapi", CLOSED: "Ditutup", REJECTED: "Ditolak",
  ARCHIVED: "Diarsipkan", RETURNED: "Dikembalikan",
};
// The hub counts a report's year on its region's clock (hub/sla.py local_zone): WITA and WIT provinces.
const WITA = new Set(["51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"]);
const WIT = new Set(["81", "82", "91", "92", "93", "94", "95", "96"]);

const ZONES = `
query Zones($year: Int, $month: Int) {
  zoneThresholds { greenReachable greenOnTime greenOverdue redReachable redOnTime redOverdue }
  complianceZones(year: $year, month: $month) {
    regionCode regionName zone
    figures { units reachableUnits reportsReceived followUpsDue followUpsOnTime onTimeShare overdue untimed }
    handling { selesai inProcess }
    ombudsman { label year score zone }
    units {
      node name level regionCode regionName reachable zone
      figures { reportsReceived followUpsDue followUpsOnTime onTimeShare overdue untimed }
      ombudsman { label year score zone }
    }
  }
}`;

// Connection coverage (keterhubungan): expected units, the connected ones, and who is not connected, per province.
const COVERAGE = `
query Coverage {
  coverage {
    region { expected connected share }
    provinces { regionCode regionName expected connected share notConnected { kind name regionCode skNumber } }
  }
}`;

const REPORTS = `
query UnitReports($codes: [String!], $filter: ReportFilter, $after: String) {
  reports(scope: {nodeCodes: $codes}, filter: $filter, first: 25, after: $after) {
    reports { trackingNumber title category status receivedAt reporter { confidential } }
    pageInfo { hasNextPage endCursor }
    coverage { asked answered failed }
  }
}`;

// A rahasia report is not published: the dashboard is a display, so it shows that one exists, never its title.
const CONFIDENTIAL_TITLE = "Laporan rahasia";
const YEARS = 8; // the year filter offers this many years back from now, then "all years"
const $ = (id) => document.getElementById(id);
// `asked` counts the figures asked for: an answer to an older choice of year or month is dropped.
// `scope` is the user's region ('' national); `map` the tile map's layout (/dashboard/tilemap.json).
const state = { regions: [], coverage: new Map(), province: null, unit: null, after: null, asked: 0, charted: 0,
  scope: "", map: null };

function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

function percent(share) {
  return share === null ? "-" : `${(share * 100).toFixed(1).replace(".", ",")}%`;
}

const MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
  "November", "Desember"];

// The chosen year, or null for every report the units hold.
function year() {
  return $("year").value ? Number($("year").value) : null;
}

// The chosen month (1-12) of that year, or null for the whole year.
function month() {
  return year() !== null && $("month").value ? Number($("month").value) : null;
}

function period() {
  if (year() === null) return "semua tahun";
  return month() === null ? `tahun ${year()}` : `${MONTHS[month() - 1]} ${year()}`;
}

// The period's first and next-first day ("2026-03-01", "2026-04-01"), as the reports filter asks for them.
function periodDays() {
  const start = [year(), month() || 1];
  const end = month() === null || month() === 12 ? [year() + 1, 1] : [year(), month() + 1];
  return [start, end].map(([y, m]) => `${y}-${String(m).padStart(2, "0")}-01`);
}

function say(message) {
  $("status").textContent = message;
}

function problem(message) {
  $("problem").textContent = message;
}

// A region's clock: its UTC offset (the year filter) and its zone (dates shown as the hub counts them,
// whatever the browser's own zone).
function clock(regionCode) {
  const province = regionCode.slice(0, 2);
  if (WITA.has(province)) return { offset: "+08:00", timeZone: "Asia/Makassar" };
  if (WIT.has(province)) return { offset: "+09:00", timeZone: "Asia/Jayapura" };
  return { offset: "+07:00", timeZone: "Asia/Jakarta" };
}

function regionLabel(region) {
  return region.regionCode === "" ? "Pusat (nasional)" : `${region.regionName || region.regionCode}`;
}

// Reports the hub could not time for want of a holiday calendar: said, not hidden.
function untimed(figures) {
  return figures.untimed ? [`Tanpa kalender libur: ${figures.untimed}`] : [];
}

// The Ombudsman RI's own score, entered by an admin, beside simpul's zone and labelled as the Ombudsman's.
function ombudsmanLines(score) {
  if (!score) return [];
  const shown = score.score.toFixed(2).replace(".", ",");
  return [`${score.label} ${score.year}: ${shown} (${OMBUDSMAN_ZONES[score.zone]})`];
}

function zoneLine(zone) {
  return el("span", { class: "tile-zone" }, `Zona kinerja ${ZONE_NAMES[zone]}`);
}

function tile(zone, name, code, lines, onOpen) {
  const button = el("button", { type: "button", class: `tile zone-${zone}`, "data-code": code, "data-zone": zone },
    el("span", { class: "tile-name" }, name), el("span", { class: "tile-code" }, code || "nasional"),
    zoneLine(zone), ...lines.map((line) => el("span", {}, line)));
  button.addEventListener("click", onOpen);
  return el("li", {}, button);
}

function shown(zone) {
  const wanted = $("zone-filter").value;
  return !wanted || wanted === zone;
}

function show(view) {
  $("provinces-view").hidden = view !== "provinces";
  $("province-view").hidden = view !== "province";
  $("unit-view").hidden = view !== "unit";
  if (view === "unit") $("charts").hidden = true;
  crumbs();
}

function crumbs() {
  const list = $("crumbs");
  const steps = [["Semua provinsi", () => openProvinces()]];
  if (state.province) steps.push([regionLabel(state.province), () => openProvince(state.province.regionCode)]);
  if (state.unit) steps.push([state.unit.name, null]);
  list.replaceChildren(...steps.map(([label, go], i) => {
    if (i === steps.length - 1) return el("li", { "aria-current": "page" }, label);
    const button = el("button", { type: "button" }, label);
    button.addEventListener("click", go);
    return el("li", {}, button);
  }));
}

// The figures of the chosen period; false when another period was chosen meanwhile (its answer counts).
async function loadZones() {
  const asked = ++state.asked;
  problem("");
  say("Memuat data kepatuhan...");
  const data = await graphql(ZONES, { year: year(), month: month() }, (warning) => problem(`Sebagian data tidak lengkap: ${warning}`));
  if (asked !== state.asked) return false;
  state.regions = data.complianceZones;
  legend(data.zoneThresholds);
  say(`Data kepatuhan ${period()}: ${state.regions.length} wilayah.`);
  return true;
}

// The legend states the thresholds this hub is set to (--zone-*), not the defaults.
function legend(t) {
  const p = (share) => percent(share);
  $("legend-green").textContent = `minimal ${p(t.greenReachable)} unit terhubung, minimal ${p(t.greenOnTime)} `
    + `tindak lanjut tepat waktu, dan paling banyak ${p(t.greenOverdue)} laporan lewat tenggat.`;
  $("legend-red").textContent = `kurang dari ${p(t.redReachable)} unit terhubung, atau kurang dari `
    + `${p(t.redOnTime)} tindak lanjut tepat waktu, atau lebih dari ${p(t.redOverdue)} laporan lewat tenggat.`;
}

async function loadCoverage() {
  const data = await graphql(COVERAGE);
  state.coverage = new Map(data.coverage.provinces.map((p) => [p.regionCode, p]));
  const total = data.coverage.region;
  $("coverage-summary").textContent = `${total.connected} dari ${total.expected} unit yang seharusnya terhubung `
    + `telah terhubung (${percent(total.share)}).`;
  $("coverage-table").tBodies[0].replaceChildren(...data.coverage.provinces.map((p) => el("tr",
    { "data-code": p.regionCode }, el("td", {}, regionLabel(p)), el("td", {}, String(p.expected)),
    el("td", {}, String(p.connected)), el("td", {}, percent(p.share)))));
}

// A province tile's coverage line: connected / expected units (keterhubungan).
function coverageLines(code) {
  const found = state.coverage.get(code);
  return found ? [`Keterhubungan: ${found.connected} dari ${found.expected} (${percent(found.share)})`] : [];
}

// A province's coverage, and each unit that should be connected but is not, by name.
function showProvinceCoverage(code) {
  const found = state.coverage.get(code);
  $("province-coverage").hidden = !found;
  if (!found) return;
  $("province-coverage-summary").textContent = `${found.connected} dari ${found.expected} unit yang seharusnya `
    + `terhubung telah terhubung (${percent(found.share)}). Belum terhubung: ${found.notConnected.length}.`;
  $("not-connected").replaceChildren(...found.notConnected.map((u) => el("li", { "data-kind": u.kind },
    `${u.name} (${u.regionCode || "nasional"})${u.skNumber ? `, SK ${u.skNumber}` : ""}`)));
}

// The map: every province on its tile, in its zone's colour and word with its on-time share; a province without
// an active unit, or outside the user's region, says so instead.
function drawMap() {
  const byCode = new Map(state.regions.map((r) => [r.regionCode, r]));
  const grid = $("tilemap");
  grid.style.gridTemplateColumns = `repeat(${state.map.columns}, minmax(0, 1fr))`;
  grid.replaceChildren(...state.map.tiles.map((t) => {
    const region = byCode.get(t.code);
    const inScope = state.scope === "" || state.scope.split(".")[0] === t.code;
    const zone = region ? region.zone : inScope ? "NONE" : "OUT";
    const share = region ? percent(region.figures.onTimeShare) : "";
    const label = `${t.name} (${t.code}): ` + (region ? `zona kinerja ${ZONE_NAMES[zone]}, tindak lanjut tepat `
      + `waktu ${share}, ${region.figures.reportsReceived} laporan diterima` : MAP_WORDS[zone].toLowerCase());
    const words = [el("span", { class: "map-code" }, `${t.abbreviation} ${t.code}`), el("span", {}, MAP_WORDS[zone]),
      ...(region ? [el("span", {}, share)] : [])];
    const attributes = { class: `map-tile zone-${zone}${region && !shown(zone) ? " map-dim" : ""}`,
      "data-code": t.code, "data-zone": zone, title: label, "aria-label": label };
    const item = region ? el("button", { type: "button", ...attributes }, ...words) : el("span", attributes, ...words);
    if (region) item.addEventListener("click", () => openProvince(t.code));
    const cell = el("li", {}, item);
    cell.style.gridRow = String(t.row + 1);
    cell.style.gridColumn = String(t.column + 1);
    return cell;
  }));
}

// The hub's charts of a region (null: the user's whole region) for the chosen year, up to the chosen month: all
// three in one request (the hub reads the year once for them), fetched with the session and each shown from a
// blob, since an <img> cannot send the token.
async function showCharts(region, place = null) {
  const asked = ++state.charted;
  const images = Object.keys(CHARTS).map((name) => $(`chart-${name}`));
  $("charts").hidden = region === "";  // national (PUSAT) nodes have no region of their own to chart
  $("charts-hint").hidden = year() !== null;
  if (region === "" || year() === null) {
    for (const image of images) {
      image.removeAttribute("src");
      delete image.dataset.shown;
    }
    return;
  }
  const query = new URLSearchParams({ year: year() });
  if (month() !== null) query.set("month", month());
  if (region !== null) query.set("region", region);
  if (images.every((image) => image.dataset.shown === query.toString())) return;  // a zone filter changes no chart
  const drawn = JSON.parse(await (await fetchFile(`/dashboard/charts.json?${query}`)).text());
  const files = images.map((image) => new Blob([drawn[image.dataset.chart]], { type: "image/svg+xml" }));
  if (asked !== state.charted) return;
  place ??= region === null ? "wilayah Anda" : regionLabel(state.province);
  $("charts-title").textContent = `Grafik: ${place}`;
  const old = images.map((image) => image.getAttribute("src"));
  images.forEach((image, i) => {
    image.src = URL.createObjectURL(files[i]);
    image.alt = `${CHARTS[image.dataset.chart]}, ${place}, ${period()}`;
  });
  // a newer choice of region or period may replace an image before it is drawn: only then is a failure no news
  await Promise.all(images.map((image) => image.decode().catch((error) => {
    if (asked === state.charted) throw error;
  })));
  for (const url of old) if (url) URL.revokeObjectURL(url);
  if (asked !== state.charted) return;
  for (const image of images) image.dataset.shown = query.toString();  // drawn: what the charts show now
}

function openProvinces() {
  state.province = null;
  state.unit = null;
  drawMap();
  guarded(() => showCharts(null))();
  const tiles = state.regions.filter((r) => shown(r.zone)).map((r) => tile(r.zone, regionLabel(r), r.regionCode, [
    `Unit terhubung: ${r.figures.reachableUnits} dari ${r.figures.units}`,
    `Laporan diterima: ${r.figures.reportsReceived}`,
    `Tindak lanjut tepat waktu: ${percent(r.figures.onTimeShare)}`,
    `Lewat tenggat: ${r.figures.overdue}`,
    ...untimed(r.figures),
    ...ombudsmanLines(r.ombudsman),
    ...coverageLines(r.regionCode),
  ], () => openProvince(r.regionCode)));
  $("provinces").replaceChildren(...tiles);
  if (!state.regions.length) say("Tidak ada unit aktif dalam wilayah Anda.");
  show("provinces");
}

function openProvince(code) {
  const region = state.regions.find((r) => r.regionCode === code);
  if (!region) return openProvinces();
  state.province = region;
  state.unit = null;
  $("province-title").textContent = `${regionLabel(region)} - ${ZONE_TITLE}: ${ZONE_NAMES[region.zone]}`;
  $("province-summary").textContent = `${region.figures.units} unit, ${region.figures.reachableUnits} terhubung; `
    + `${region.figures.reportsReceived} laporan diterima ${period()}; tindak lanjut tepat waktu `
    + `${percent(region.figures.onTimeShare)}; ${region.figures.overdue} lewat tenggat; `
    + `${region.handling.selesai} selesai, ${region.handling.inProcess} dalam proses.`;
  $("downloads").hidden = code === "";
  $("download-csv").disabled = $("download-pdf").disabled = year() === null;
  $("downloads-hint").hidden = year() !== null;
  // the province's own units first, then each kabupaten/kota's, under its name
  const places = [...new Set(region.units.map((u) => u.regionCode))]
    .sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  const heading = (place, name) => {
    if (place === "") return "Pusat (nasional)";
    return place.includes(".") ? `${name} (${place})` : `Tingkat provinsi: ${name} (${place})`;
  };
  $("units").replaceChildren(...places.map((place) => {
    const units = region.units.filter((u) => u.regionCode === place && shown(u.zone));
    const title = heading(place, region.units.find((u) => u.regionCode === place).regionName || place);
    return el("section", { class: "kabkota", "data-code": place, ...(units.length ? {} : { hidden: "" }) },
      el("div", { class: "kabkota-head" }, el("h5", {}, title), ...chartsOf(place, place.includes(".") ? title : null)),
      el("ul", { class: "tiles" }, ...units.map((u) => tile(u.zone, u.name, u.node, [
        `Terhubung: ${u.reachable ? "ya" : "tidak"}`,
        `Laporan diterima: ${u.figures.reportsReceived}`,
        `Tindak lanjut tepat waktu: ${percent(u.figures.onTimeShare)}`,
        `Lewat tenggat: ${u.figures.overdue}`,
        ...untimed(u.figures),
        ...ombudsmanLines(u.ombudsman),
      ], () => openUnit(u.node)))));
  }));
  showProvinceCoverage(code);
  show("province");
  guarded(() => showCharts(code))();
}

// A kabupaten/kota's own charts, from its heading; the province's again from the first heading (label null).
function chartsOf(place, label) {
  if (place === "") return [];
  const button = el("button", { type: "button", class: "charts-of", "data-region": place },
    label === null ? "Grafik seluruh provinsi" : "Grafik");
  button.addEventListener("click", guarded(() => showCharts(place, label)));
  return [button];
}

async function openUnit(code) {
  const unit = state.province.units.find((u) => u.node === code);
  state.unit = unit;
  $("unit-title").textContent = `${unit.name} (${unit.node}) - ${ZONE_TITLE}: ${ZONE_NAMES[unit.zone]}`;
  $("unit-summary").textContent = `Terhubung: ${unit.reachable ? "ya" : "tidak"}; `
    + `${unit.figures.reportsReceived} laporan diterima; tindak lanjut tepat waktu `
    + `${percent(unit.figures.onTimeShare)}; ${unit.figures.overdue} lewat tenggat.`;
  $("reports").tBodies[0].replaceChildren();
  show("unit");
  await loadReports(false);
}

async function loadReports(more) {
  const unit = state.unit;
  const { offset, timeZone } = clock(unit.regionCode);
  const [from, to] = year() === null ? [] : periodDays();
  const filter = year() === null ? {}
    : { receivedFrom: `${from}T00:00:00${offset}`, receivedTo: `${to}T00:00:00${offset}` };
  const status = $("status-filter").value;
  if (status) filter.statuses = [status];
  say("Memuat laporan...");
  const data = await graphql(REPORTS, { codes: [unit.node], filter, after: more ? state.after : null });
  const page = data.reports;
  const rows = page.reports.map((r) => el("tr", {},
    el("td", {}, r.trackingNumber),
    el("td", {}, r.reporter.confidential || r.title === null ? CONFIDENTIAL_TITLE : r.title), el("td", {}, r.category),
    el("td", { "data-status": r.status }, STATUS_NAMES[r.status] || r.status),
    el("td", {}, new Date(r.receivedAt).toLocaleDateString("id-ID", { dateStyle: "medium", timeZone }))));
  const body = $("reports").tBodies[0];
  if (more) body.append(...rows); else body.replaceChildren(...rows);
  state.after = page.pageInfo.endCursor;
  $("more-reports").hidden = !page.pageInfo.hasNextPage;
  if (page.coverage.failed.length) {
    say(`Unit ${unit.node} tidak menjawab: laporannya tidak dapat ditampilkan sekarang.`);
  } else {
    say(`${body.rows.length} laporan ditampilkan.`);
  }
}

async function refresh() {
  if (!await loadZones()) return;
  await loadCoverage();
  const province = state.province && state.province.regionCode;
  const unit = state.unit && state.unit.node;
  if (province === null || province === undefined) return openProvinces();
  openProvince(province);
  if (unit && state.province && state.province.units.some((u) => u.node === unit)) await openUnit(unit);
}

function signedOut(message) {
  $("board").hidden = true;
  $("who").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("username").focus();
}

async function signedIn(user) {
  state.scope = user.regionCode || "";
  if (!state.map) state.map = await (await fetch("/dashboard/tilemap.json")).json();
  $("who-name").textContent = `${user.name} (${user.role === "ADMIN" ? "admin" : "pengawas"}, `
    + `${user.regionCode || "nasional"})`;
  $("who").hidden = false;
  $("login").hidden = true;
  $("board").hidden = false;
  await refresh();
}

// Run an action; a lost session goes back to the login form, any other failure is shown.
function guarded(action) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      if (error instanceof SignedOut) signedOut("Sesi berakhir; silakan masuk lagi.");
      else problem(error.message);
    }
  };
}

function setUp() {
  const now = new Date().getFullYear();
  $("year").replaceChildren(...[...Array(YEARS).keys()].map((back) => el("option", { value: now - back }, String(now - back))),
    el("option", { value: "" }, "Semua tahun"));
  $("month").replaceChildren(el("option", { value: "" }, "Setahun"),
    ...MONTHS.map((name, i) => el("option", { value: i + 1 }, name)));
  $("status-filter").append(...Object.entries(STATUS_NAMES).map(([value, label]) => el("option", { value }, label)));

  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      const user = await logIn($("username").value, $("password").value);
      $("password").value = "";
      await signedIn(user);
    } catch (error) {
      $("login-error").textContent = error instanceof ApiError && error.code === "FORBIDDEN"
        ? "Nama pengguna atau kata sandi salah." : `Gagal masuk: ${error.message}`;
    }
  });
  $("logout").addEventListener("click", guarded(async () => {
    await logOut();
    signedOut("Anda telah keluar.");
  }));
  $("year").addEventListener("change", guarded(async () => {
    $("month").disabled = year() === null;
    await refresh();
  }));
  $("month").addEventListener("change", guarded(refresh));
  $("zone-filter").addEventListener("change", guarded(async () => {
    drawMap();
    if (state.unit) return;
    if (state.province) openProvince(state.province.regionCode); else openProvinces();
  }));
  $("status-filter").addEventListener("change", guarded(() => loadReports(false)));
  $("more-reports").addEventListener("click", guarded(() => loadReports(true)));
  for (const form of ["csv", "pdf"]) {
    $(`download-${form}`).addEventListener("click", guarded(async () => {
      const code = state.province.regionCode;
      const monthly = month() !== null;
      const query = monthly ? `year=${year()}&month=${month()}` : `year=${year()}`;
      const label = monthly ? `${year()}-${String(month()).padStart(2, "0")}` : String(year());
      const name = `laporan-${monthly ? "bulanan" : "tahunan"}-${code}-${label}.${form}`;
      await download(`/dashboard/report/${code}.${form}?${query}`, name);
      say(`Laporan ${monthly ? "bulanan" : "tahunan"} ${code} ${period()} (${form.toUpperCase()}) diunduh.`);
    }));
  }
  for (const form of ["filters", "report-filters"]) $(form).addEventListener("submit", (e) => e.preventDefault());

  if (token()) {
    guarded(async () => {
      const data = await graphql("{ me { name role regionCode } }");
      if (data.me.role === "PUBLIC") return signedOut("");
      await signedIn(data.me);
    })();
  } else {
    signedOut("");
  }
}

setUp();
