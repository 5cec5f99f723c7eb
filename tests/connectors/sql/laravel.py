"""A Laravel complaint app on MariaDB: `pengaduans` and `kategoris`, TIMESTAMP created_at/updated_at, and the
view its developers create for simpul. `LaravelApp` enters and moves reports as the app's Eloquent models do,
with plain SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.base import ReportStatus
from connectors.testing import SeedReport
from tests.connectors.sql.agency import config_from
from tests.databases import mariadb_connection, mariadb_execute

EXAMPLE = Path(__file__).parents[3] / "connectors" / "sql" / "examples" / "laravel.toml"

# What `php artisan migrate` makes of the app's migrations ($table->timestamps(6): microseconds, so two
# changes in one second keep their order in the updated_at feed).
SCHEMA = (
    """CREATE TABLE kategoris (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
        nama varchar(255) NOT NULL UNIQUE, created_at timestamp(6) NULL, updated_at timestamp(6) NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """INSERT INTO kategoris (nama) VALUES ('Jalan dan Jembatan'), ('Penerangan Jalan Umum'), ('Kesehatan'),
        ('Kebersihan'), ('Air Bersih'), ('Kependudukan')""",
    """CREATE TABLE pengaduans (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
        judul varchar(255) NOT NULL, isi text NOT NULL,
        jenis enum('pengaduan','aspirasi','informasi') NOT NULL DEFAULT 'pengaduan',
        status enum('menunggu','proses','selesai','ditolak') NOT NULL DEFAULT 'menunggu',
        kategori_id bigint unsigned NULL, kode_wilayah varchar(13) NOT NULL, lokasi varchar(255) NULL,
        nama_pelapor varchar(255) NULL, no_hp varchar(20) NULL, sumber varchar(20) NOT NULL DEFAULT 'web',
        created_at timestamp(6) NULL DEFAULT NULL, updated_at timestamp(6) NULL DEFAULT NULL,
        KEY pengaduans_created_at_index (created_at),
        CONSTRAINT pengaduans_kategori_id_foreign FOREIGN KEY (kategori_id) REFERENCES kategoris (id)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""",
    """CREATE VIEW v_simpul_pengaduan AS
        SELECT p.id, p.judul, p.isi, p.jenis, p.status, k.nama AS kategori, p.kode_wilayah, p.lokasi,
               p.nama_pelapor, p.no_hp, p.created_at, p.updated_at
        FROM pengaduans p LEFT JOIN kategoris k ON k.id = p.kategori_id""",
)

STATUS = {ReportStatus.RECEIVED: "menunggu", ReportStatus.IN_PROCESS: "proses", ReportStatus.COMPLETED: "selesai",
          ReportStatus.REJECTED: "ditolak"}


def laravel_config(database_url: str, **changes: Any) -> dict[str, Any]:
    """The README's Laravel example, pointed at `database_url`."""
    return config_from(EXAMPLE, database_url, **changes)


class LaravelApp:
    """The agency's Laravel app, as far as its tables see it (the connection runs in UTC, as Laravel's does)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    async def create_schema(self) -> None:
        await mariadb_execute(self.database_url, *SCHEMA)

    async def execute(self, sql: str, *args: Any) -> Any:
        """Run `sql` (%s parameters); the first column of its first row, or the new AUTO_INCREMENT id."""
        async with mariadb_connection(self.database_url) as conn, conn.cursor() as cursor:
            await cursor.execute("SET time_zone = '+00:00'")
            await cursor.execute(sql, args or None)
            row = await cursor.fetchone() if cursor.description else None
            return row[0] if row else cursor.lastrowid

    async def enter(self, title: str, received_at: datetime, category: str = "Jalan dan Jembatan",
                    wilayah: str = "6408", jenis: str = "pengaduan", status: str = "menunggu") -> str:
        at = received_at.astimezone(UTC).replace(tzinfo=None)
        new_id = await self.execute(
            "INSERT INTO pengaduans (judul, isi, jenis, status, kategori_id, kode_wilayah, nama_pelapor, no_hp,"
            " created_at, updated_at) VALUES (%s, %s, %s, %s, (SELECT id FROM kategoris WHERE nama = %s), %s,"
            " 'Budi Santoso', '081234567890', %s, %s)",
            title, f"Isi laporan: {title}.", jenis, status, category, wilayah, at, at)
        return str(new_id)

    async def set_status(self, local_id: str, status: str) -> None:
        await self.execute("UPDATE pengaduans SET status = %s, updated_at = UTC_TIMESTAMP(6) WHERE id = %s",
                           status, int(local_id))

    async def enter_seed(self, seed: SeedReport, category_names: dict[str, str]) -> str:
        return await self.enter(seed.title, seed.received_at, category_names[seed.category],
                                seed.region_code.replace(".", ""), seed.kind.value.lower())
