"""The SMK-pattern complaint app on MariaDB: `pengaduan`, `tanggapan`, `masyarakat` in latin1, WITA DATETIMEs,
an enum status, zero dates, and the view the agency creates for simpul."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.connectors.sql.agency import config_from

EXAMPLE = Path(__file__).parents[3] / "connectors" / "sql" / "examples" / "smk.toml"

SCHEMA = (
    """CREATE TABLE masyarakat (nik char(16) NOT NULL PRIMARY KEY, nama varchar(35) NOT NULL,
        username varchar(25) NOT NULL, password varchar(32) NOT NULL, telp varchar(13) NOT NULL
    ) ENGINE=InnoDB DEFAULT CHARSET=latin1""",
    """CREATE TABLE pengaduan (id_pengaduan int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
        tgl_pengaduan datetime NOT NULL, nik char(16) NOT NULL, isi_laporan text NOT NULL,
        foto varchar(255) NOT NULL DEFAULT '', status enum('0','proses','selesai') NOT NULL DEFAULT '0',
        KEY tgl_pengaduan (tgl_pengaduan)
    ) ENGINE=InnoDB DEFAULT CHARSET=latin1""",
    """CREATE TABLE tanggapan (id_tanggapan int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY,
        id_pengaduan int(11) NOT NULL, tgl_tanggapan datetime NOT NULL, tanggapan text NOT NULL,
        id_petugas int(11) NOT NULL, KEY id_pengaduan (id_pengaduan)
    ) ENGINE=InnoDB DEFAULT CHARSET=latin1""",
)

# The view, as the README gives it: a title from the text, the unit's one category and region, the reporter
# from masyarakat, and the latest tanggapan as the update time (a zero date there counts as none).
VIEW = """CREATE VIEW v_simpul_pengaduan AS
    SELECT p.id_pengaduan, LEFT(p.isi_laporan, 80) AS judul, p.isi_laporan, p.status,
           'Pengaduan Umum' AS kategori, '6408' AS kode_wilayah, p.tgl_pengaduan,
           (SELECT MAX(t.tgl_tanggapan) FROM tanggapan t WHERE t.id_pengaduan = p.id_pengaduan) AS tgl_update,
           m.nama, m.telp
    FROM pengaduan p LEFT JOIN masyarakat m ON m.nik = p.nik"""


def smk_config(database_url: str, **changes: Any) -> dict[str, Any]:
    """The README's SMK example, pointed at `database_url`."""
    return config_from(EXAMPLE, database_url, **changes)
