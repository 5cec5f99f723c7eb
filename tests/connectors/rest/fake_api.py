"""A small agency complaint API ("SIPAKAR Kutim"), the kind of JSON service a district already runs.

Run it as a real HTTP process for the rest connector's tests:

    python -m tests.connectors.rest.fake_api --port 0 --token rahasia

It prints `fake agency API on http://127.0.0.1:PORT`. Reports live in
memory. The API under /api/v1 wants `Authorization: Bearer <token>` and
answers errors as `{"error": {"kode": ..., "pesan": ...}}`; lists page by
`page`/`per_page` (or `offset`/`limit`, or `limit`/`cursor`) with
`meta.total` and `meta.next_cursor`; `diubah_sejak` lists what changed
since a time. Like many such APIs it ignores `Idempotency-Key`, and it
keeps a posted `nomor_tiket` (in mode `tiket-sendiri` it gives its own). Under
/_uji are the test-only doors: reset, add a report as its own staff would,
change a status, corrupt a field, or make the API misbehave.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from tests.connectors.fake_serving import serve_forever

WIB = timezone(timedelta(hours=7))
STATUSES = ("baru", "diproses", "selesai", "ditolak")
MODES = ("normal", "html", "error500", "lambat", "bukan-daftar", "tiket-sendiri")
SUMMARY = ("id_laporan", "nomor_tiket", "judul", "isi", "jenis", "status", "kategori", "kode_wilayah", "kanal",
           "lokasi", "pelapor", "dibuat_pada", "diubah_pada")


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"kode": code, "pesan": message}}, status=status)


class Agency:
    def __init__(self, token: str) -> None:
        self.token = token
        self.reset()

    def reset(self) -> None:
        self.reports: list[dict[str, Any]] = []
        self.next_id = 1
        self.mode = "normal"
        self.keys_seen: list[str] = []
        self.bodies: list[dict[str, Any]] = []  # each POST's body as it came
        self.last_change = datetime.now(WIB)

    def now(self) -> str:
        """Now in WIB, strictly after the last change, as the agency's database would stamp it."""
        self.last_change = max(datetime.now(WIB), self.last_change + timedelta(microseconds=1))
        return self.last_change.isoformat()

    def add(self, fields: dict[str, Any], actor: str) -> dict[str, Any]:
        number = self.next_id
        self.next_id += 1
        stamp = self.now()
        created = fields.get("dibuat_pada") or stamp
        report = {
            "id_laporan": number,
            "nomor_tiket": fields.get("nomor_tiket") or f"KUTIM-{number:06d}",
            "judul": fields["judul"], "isi": fields["isi"], "jenis": fields.get("jenis", "pengaduan"),
            "status": "baru", "kategori": fields["kategori"], "kode_wilayah": fields["kode_wilayah"],
            "kanal": fields.get("kanal", "web"), "lokasi": fields.get("lokasi"),
            "pelapor": fields.get("pelapor") or {"nama": None, "telepon": None, "anonim": True, "rahasia": False},
            "dibuat_pada": created, "diubah_pada": stamp,
            "riwayat": [{"status": "baru", "waktu": created, "petugas": actor, "catatan": None}],
        }
        self.reports.append(report)
        return report

    def find(self, raw_id: str) -> dict[str, Any] | None:
        return next((r for r in self.reports if str(r["id_laporan"]) == raw_id), None)


@web.middleware
async def _misbehave(request: web.Request, handler: Any) -> web.StreamResponse:
    agency: Agency = request.app["agency"]
    if not request.path.startswith("/api/"):
        return await handler(request)
    if agency.mode == "html":
        return web.Response(text="<html><body><h1>502 Bad Gateway</h1>nginx</body></html>",
                            content_type="text/html", status=200)
    if agency.mode == "error500":
        return _error(500, "GALAT_SERVER", "terjadi kesalahan pada server")
    if agency.mode == "lambat":
        await asyncio.sleep(5)
    if request.headers.get("Authorization") != f"Bearer {agency.token}":
        return _error(401, "TIDAK_BERWENANG", "token akses tidak valid")
    return await handler(request)


def _number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, str(default))
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise web.HTTPBadRequest(text=f'{{"error": {{"kode": "PARAMETER", "pesan": "{name} tidak valid"}}}}',
                                 content_type="application/json")
    return int(raw)


async def list_reports(request: web.Request) -> web.Response:
    agency: Agency = request.app["agency"]
    if agency.mode == "bukan-daftar":
        return web.json_response({"data": {"items": "tidak ada"}, "meta": {"total": 0}})
    chosen = agency.reports
    if "diubah_sejak" in request.query:
        try:
            since = datetime.fromisoformat(request.query["diubah_sejak"])
        except ValueError:
            return _error(400, "PARAMETER", "diubah_sejak harus ISO 8601")
        chosen = [r for r in chosen if datetime.fromisoformat(r["diubah_pada"]) >= since]
    meta: dict[str, Any] = {"total": len(chosen)}
    if "offset" in request.query:
        start, size = _number(request, "offset", 0, 0, 10**9), _number(request, "limit", 20, 1, 100)
    elif "limit" in request.query:
        size = _number(request, "limit", 20, 1, 100)
        cursor = request.query.get("cursor")
        start = int(base64.urlsafe_b64decode(cursor).decode()) if cursor else 0
    else:
        page, size = _number(request, "page", 1, 1, 10**6), _number(request, "per_page", 20, 1, 100)
        start = (page - 1) * size
        meta.update(page=page, per_page=size)
    end = start + size
    meta["next_cursor"] = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(chosen) else None
    items = [{key: r[key] for key in SUMMARY if key in r} for r in chosen[start:end]]
    return web.json_response({"data": {"items": items}, "meta": meta})


async def get_report(request: web.Request) -> web.Response:
    report = request.app["agency"].find(request.match_info["id"])
    if report is None:
        return _error(404, "TIDAK_DITEMUKAN", "laporan tidak ditemukan")
    return web.json_response({"data": report})


async def create_report(request: web.Request) -> web.Response:
    agency: Agency = request.app["agency"]
    try:
        fields = await request.json()
    except ValueError:
        return _error(400, "JSON", "badan permintaan bukan JSON")
    missing = [key for key in ("judul", "isi", "kategori", "kode_wilayah") if not fields.get(key)]
    if missing:
        return _error(422, "VALIDASI", f"wajib diisi: {', '.join(missing)}")
    agency.keys_seen.append(request.headers.get("Idempotency-Key", ""))
    agency.bodies.append(dict(fields))
    if agency.mode == "tiket-sendiri":
        fields.pop("nomor_tiket", None)
    return web.json_response({"data": agency.add(fields, "api")}, status=201)


async def test_reset(request: web.Request) -> web.Response:
    request.app["agency"].reset()
    return web.json_response({"ok": True})


async def test_add(request: web.Request) -> web.Response:
    return web.json_response({"data": request.app["agency"].add(await request.json(), "petugas")}, status=201)


async def test_status(request: web.Request) -> web.Response:
    agency: Agency = request.app["agency"]
    report = agency.find(request.match_info["id"])
    change = await request.json()
    if report is None or change["status"] not in STATUSES:
        return _error(400, "UJI", "laporan atau status tidak dikenal")
    report["status"], report["diubah_pada"] = change["status"], agency.now()
    report["riwayat"].append({"status": change["status"], "waktu": report["diubah_pada"],
                              "petugas": change.get("petugas", "petugas"), "catatan": change.get("catatan")})
    return web.json_response({"data": report})


async def test_corrupt(request: web.Request) -> web.Response:
    """Overwrite one field with anything, as a buggy release of the agency's system would."""
    report = request.app["agency"].find(request.match_info["id"])
    change = await request.json()
    if report is None:
        return _error(404, "UJI", "laporan tidak ditemukan")
    if "value" in change:
        report[change["field"]] = change["value"]
    else:
        report.pop(change["field"], None)
    return web.json_response({"ok": True})


async def test_mode(request: web.Request) -> web.Response:
    mode = (await request.json())["mode"]
    if mode not in MODES:
        return _error(400, "UJI", f"mode: {', '.join(MODES)}")
    request.app["agency"].mode = mode
    return web.json_response({"ok": True})


async def test_keys(request: web.Request) -> web.Response:
    agency: Agency = request.app["agency"]
    return web.json_response({"keys": agency.keys_seen, "bodies": agency.bodies})


def build_app(token: str) -> web.Application:
    app = web.Application(middlewares=[_misbehave])
    app["agency"] = Agency(token)
    app.add_routes([
        web.get("/api/v1/laporan", list_reports),
        web.post("/api/v1/laporan", create_report),
        web.get("/api/v1/laporan/{id}", get_report),
        web.post("/_uji/reset", test_reset),
        web.post("/_uji/laporan", test_add),
        web.post("/_uji/laporan/{id}/status", test_status),
        web.post("/_uji/laporan/{id}/mentah", test_corrupt),
        web.post("/_uji/mode", test_mode),
        web.get("/_uji/kunci", test_keys),
    ])
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default="rahasia-kutim")
    args = parser.parse_args()
    try:
        asyncio.run(serve_forever(build_app(args.token), "127.0.0.1", args.port, "fake agency API on {url}"))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
