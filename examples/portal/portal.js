// A province's complaint portal: submit a report, track it by its number, and the province's figures, live.
import {config} from "./config.js";
import {graphql, subscribe} from "./hub.js";

const STATUS = {
  RECEIVED: "Diterima", ON_HOLD: "Menunggu keterangan pelapor", VERIFIED: "Diverifikasi", FORWARDED: "Diteruskan",
  IN_PROCESS: "Ditindaklanjuti", COMPLETED: "Ditanggapi", CLOSED: "Ditutup", REJECTED: "Ditolak",
  ARCHIVED: "Diarsipkan", RETURNED: "Dikembalikan ke pengirim",
};
const EVENT = {
  RECEIVED: "Laporan diterima", ROUTED: "Diarahkan ke instansi berwenang", DELIVERED: "Sampai di instansi",
  REASSIGNED: "Dialihkan (disposisi)", STATUS: "Status berubah", RETURNED: "Dikembalikan",
};
const SUBMIT = `mutation Submit($report: SubmitReportInput!, $key: String) {
  submitReport(report: $report, idempotencyKey: $key) { trackingNumber }
}`;
const TRACK = `query Track($number: String!) {
  trackReport(trackingNumber: $number) { trackingNumber status receivedAt settledAt timeline { at event status note } }
}`;
const FIGURES = `subscription Figures($scope: Scope) {
  stats(groupBy: [STATUS], scope: $scope) { total selesai buckets { status count } coverage { asOf } }
}`;

const $ = (selector) => document.querySelector(selector);
const when = (iso) => new Date(iso).toLocaleString("id-ID", {dateStyle: "medium", timeStyle: "short"});
const row = (...cells) => {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.append(Object.assign(document.createElement("td"), {textContent: cell}));
  return tr;
};

document.title = `Pengaduan ${config.name}`;
$("#province").textContent = config.name;
$("#region").value = config.region;

// Figures: counted by the hub from every unit of the province, sent again when a report changes.
function showFigures({stats}) {
  $("#total").textContent = stats.total.toLocaleString("id-ID");
  $("#selesai").textContent = stats.selesai.toLocaleString("id-ID");
  $("#by-status").replaceChildren(...stats.buckets.map((b) => row(STATUS[b.status] ?? b.status,
                                                                    b.count.toLocaleString("id-ID"))));
  $("#as-of").textContent = `Diperbarui ${new Date().toLocaleTimeString("id-ID")}`;
}
const LIVE_STATE = {live: "Langsung", reconnecting: "Menyambung ulang…", error: "Angka tidak tersedia"};
subscribe(config.hub, FIGURES, {scope: {regionPrefix: config.region}}, {
  key: config.key,
  onData: showFigures,
  onState: (state, message) => {
    $("#live").textContent = LIVE_STATE[state] + (message ? `: ${message}` : "");
    $("#live").dataset.state = state;
  },
});

// Submit: one idempotency key per filled-in form, so a retry after a dropped answer is the same report.
let submitKey = crypto.randomUUID();
$("#report-form").addEventListener("input", () => { submitKey = crypto.randomUUID(); });
$("#report-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const anonymous = form.get("anonymous") === "on";
  const report = {
    kind: form.get("kind"), title: form.get("title").trim(), body: form.get("body").trim(),
    category: form.get("category"), regionCode: form.get("regionCode").trim(), channel: "WEB",
    anonymous, confidential: form.get("confidential") === "on",
    reporterName: anonymous ? null : form.get("reporterName").trim() || null,
    reporterContact: anonymous ? null : form.get("reporterContact").trim() || null,
  };
  const button = $("#report-form button");
  button.disabled = true;
  $("#submitted").hidden = true;
  $("#submit-error").textContent = "";
  try {
    const {submitReport} = await graphql(config.hub, SUBMIT, {report, key: submitKey});
    $("#tracking-number").textContent = submitReport.trackingNumber;
    $("#submitted").hidden = false;
    $("#number").value = submitReport.trackingNumber;
    event.target.reset();
    $("#region").value = config.region;
    submitKey = crypto.randomUUID();
  } catch (error) {
    $("#submit-error").textContent = error.message;
  } finally {
    button.disabled = false;
  }
});

// Track: what the tracking number tells, the unit's public notes included.
$("#track-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#tracked").hidden = true;
  $("#track-error").textContent = "";
  try {
    const {trackReport} = await graphql(config.hub, TRACK, {number: $("#number").value.trim()});
    if (!trackReport) throw new Error("Nomor pelacakan tidak dikenal.");
    $("#status").textContent = STATUS[trackReport.status] ?? trackReport.status;
    $("#status").dataset.status = trackReport.status;
    $("#received").textContent = when(trackReport.receivedAt);
    $("#timeline").replaceChildren(...trackReport.timeline.map((e) => row(
      when(e.at), EVENT[e.event] ?? e.event, e.status ? STATUS[e.status] ?? e.status : "", e.note ?? "")));
    $("#tracked").hidden = false;
  } catch (error) {
    $("#track-error").textContent = error.message;
  }
});
