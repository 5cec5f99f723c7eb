"""SIPP: a typical district complaint application's PostgreSQL schema, not shaped like ours.

Undotted region codes in a char(13), WITA wall-clock timestamps without a
time zone, smallint status codes, categories by id in a lookup table joined
through a view. `SippApp` enters and moves reports the way its officers'
application does, with plain SQL against those tables.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from connectors.base import ReportStatus
from connectors.testing import SeedReport

EXAMPLE = Path(__file__).parents[3] / "connectors" / "sql" / "example.toml"
SIPP_CATEGORIES: tuple[str, ...] = tuple(tomllib.loads(EXAMPLE.read_text())["node"]["categories"])
"""What the example node claims: the enrolment token an admin makes for it grants these."""
WITA = ZoneInfo("Asia/Makassar")

SCHEMA = """
CREATE SCHEMA sipp;
CREATE TABLE sipp.kategori (id serial PRIMARY KEY, nama varchar(100) NOT NULL UNIQUE);
INSERT INTO sipp.kategori (nama) VALUES ('Jalan dan Jembatan'), ('Penerangan Jalan Umum'), ('Kesehatan'),
    ('Kebersihan'), ('Air Bersih'), ('Kependudukan');
CREATE TABLE sipp.pengaduan (
    id serial PRIMARY KEY,
    judul varchar(200) NOT NULL,
    isi text NOT NULL,
    jenis char(1) NOT NULL DEFAULT 'P',
    kd_status smallint NOT NULL DEFAULT 1,
    kategori_id integer REFERENCES sipp.kategori (id),
    kd_wilayah char(13) NOT NULL,
    lokasi text,
    tgl_masuk timestamp without time zone NOT NULL DEFAULT (now() AT TIME ZONE 'Asia/Makassar'),
    tgl_update timestamp without time zone,
    nama_pelapor varchar(100),
    no_hp varchar(20),
    sumber varchar(20) NOT NULL DEFAULT 'LOKET'
);
CREATE INDEX pengaduan_tgl_masuk ON sipp.pengaduan (tgl_masuk DESC);
CREATE VIEW sipp.v_pengaduan AS
    SELECT p.id, p.judul, p.isi, p.jenis, p.kd_status, k.nama AS kategori, p.kd_wilayah, p.lokasi,
           p.tgl_masuk, p.tgl_update, p.nama_pelapor, p.no_hp
    FROM sipp.pengaduan p LEFT JOIN sipp.kategori k ON k.id = p.kategori_id;
"""

STATUS_CODE = {ReportStatus.RECEIVED: 1, ReportStatus.IN_PROCESS: 2, ReportStatus.COMPLETED: 3}
JENIS = {"PENGADUAN": "P", "ASPIRASI": "A", "INFORMASI": "I"}


README = EXAMPLE.parent / "README.md"


def readme_toml(containing: str) -> dict[str, Any]:
    """The README's ```toml block with a line starting `containing`, parsed (an indented one, in a list, too)."""
    import re
    import textwrap

    blocks = [textwrap.dedent(b) for b in re.findall(r"^ *```toml\n(.*?)^ *```", README.read_text(), re.M | re.S)]
    [block] = [b for b in blocks if any(line.startswith(containing) for line in b.splitlines())]
    return tomllib.loads(block)


def config_from(example: Path, database_url: str, **changes: Any) -> dict[str, Any]:
    """A README example's mapping (`example`), pointed at `database_url`, without its [node] table."""
    config = tomllib.loads(example.read_text())
    config.pop("node")
    config.pop("dsn_env")
    config["dsn"] = database_url
    config.update(changes)
    return config


def example_config(database_url: str, **changes: Any) -> dict[str, Any]:
    """The README's SIPP example, pointed at `database_url`."""
    return config_from(EXAMPLE, database_url, **changes)


class SippApp:
    """The agency's own application, as far as its tables see it."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def create_schema(self) -> None:
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute(SCHEMA)
        finally:
            await conn.close()

    async def execute(self, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.database_url)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    async def enter(self, title: str, received_at: datetime, category: str = "Jalan dan Jembatan",
                    wilayah: str = "6408", jenis: str = "P", status: int = 1) -> str:
        """An officer enters a report: WITA wall time, undotted region, category by its name."""
        local = received_at.astimezone(WITA).replace(tzinfo=None)
        new_id = await self.execute(
            "INSERT INTO sipp.pengaduan (judul, isi, jenis, kd_status, kategori_id, kd_wilayah, tgl_masuk,"
            " nama_pelapor, no_hp) VALUES ($1, $2, $3, $4, (SELECT id FROM sipp.kategori WHERE nama = $5), $6, $7,"
            " 'Budi Santoso', '081234567890') RETURNING id",
            title, f"Isi laporan: {title}.", jenis, status, category, wilayah, local)
        return str(new_id)

    async def set_status(self, local_id: str, code: int) -> None:
        await self.execute(
            "UPDATE sipp.pengaduan SET kd_status = $2, tgl_update = clock_timestamp() AT TIME ZONE 'Asia/Makassar'"
            " WHERE id = $1", int(local_id), code)

    async def enter_seed(self, seed: SeedReport, category_names: dict[str, str]) -> str:
        return await self.enter(seed.title, seed.received_at, category_names[seed.category],
                                seed.region_code.replace(".", ""), JENIS[seed.kind])
