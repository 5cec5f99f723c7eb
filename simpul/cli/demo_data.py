"""Demo federation data: nodes and reports for `simpul demo`.

Everything here is invented for the demo, drawn from the stories in the seed
articles (Kaltara's 14 SP4N-LAPOR! reports of 2019-2020, the Ombudsman's
finding on Kaltim OPDs in 2021, DKP3A Kaltim, the Kutai Timur SOP work of
2022-2023 and the Kalsel cooperation with the Ombudsman in 2022). The reports
are not real reports and the reporters are not real people: names are made up
and phone numbers are fictional placeholders.

Node codes, unit names and region codes (Kemendagri, dotted form) are real.
A report starts RECEIVED; `steps` lists the transitions after that, each
`days_after` the report was received. SMS bodies are the text a citizen sent
after the keyword (`LAPORKALTARA <text>` to 1708).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

WITA = timezone(timedelta(hours=8), "WITA")  # Asia/Makassar


@dataclass(frozen=True)
class DemoNode:
    code: str
    name: str
    level: str  # PROVINSI | KABKOTA | UNIT
    region_code: str
    parent_code: str | None
    categories: tuple[str, ...]


@dataclass(frozen=True)
class DemoStep:
    status: str
    days_after: float  # days after the report was received
    note: str | None = None


@dataclass(frozen=True)
class DemoReport:
    node: str
    kind: str  # PENGADUAN | ASPIRASI | INFORMASI
    title: str
    body: str
    category: str
    region_code: str
    channel: str  # WEB | SMS | APP | DESK | SOCIAL
    received_at: datetime
    steps: tuple[DemoStep, ...]
    anonymous: bool = False
    confidential: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None


def _at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WITA)


def _s(status: str, days_after: float, note: str | None = None) -> DemoStep:
    return DemoStep(status, days_after, note)


NODES: tuple[DemoNode, ...] = (
    DemoNode(
        "65", "Pemerintah Provinsi Kalimantan Utara (Biro Organisasi)", "PROVINSI", "65", None,
        ("pelayanan-publik", "infrastruktur", "kesehatan", "pendidikan", "kependudukan",
         "telekomunikasi", "perhubungan", "perizinan", "energi"),
    ),
    DemoNode(
        "64", "Pemerintah Provinsi Kalimantan Timur (Biro Organisasi)", "PROVINSI", "64", None,
        ("pelayanan-publik", "infrastruktur", "kesehatan", "pendidikan", "perizinan",
         "ketenagakerjaan", "lingkungan"),
    ),
    DemoNode(
        "63", "Pemerintah Provinsi Kalimantan Selatan", "PROVINSI", "63", None,
        ("pelayanan-publik", "infrastruktur", "pendidikan", "perizinan", "kesehatan"),
    ),
    DemoNode(
        "64.08", "Pemerintah Kabupaten Kutai Timur (Diskominfo Staper)", "KABKOTA", "64.08", "64",
        ("pelayanan-publik", "infrastruktur", "kesehatan", "pendidikan", "kependudukan"),
    ),
    DemoNode(
        "64.dkp3a",
        "Dinas Kependudukan, Pemberdayaan Perempuan dan Perlindungan Anak"
        " Provinsi Kalimantan Timur",
        "UNIT", "64", "64",
        ("perlindungan-anak", "pemberdayaan-perempuan", "kependudukan"),
    ),
    DemoNode(
        "63.dinkes", "Dinas Kesehatan Provinsi Kalimantan Selatan", "UNIT", "63", "63",
        ("kesehatan",),
    ),
)


_KALTARA: tuple[DemoReport, ...] = (
    # --- eight followed up to completion ---
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Jalan Sengkawit di Tanjung Selor berlubang dan tergenang saat hujan",
        body=(
            "Jalan Sengkawit dekat simpang perkantoran Pemprov banyak lubang besar dan"
            " tergenang setiap hujan. Sudah dua kali pengendara motor jatuh minggu ini."
            " Mohon segera ditambal sebelum ada korban."
        ),
        category="infrastruktur", region_code="65.01.05", channel="WEB",
        received_at=_at(2019, 3, 11, 8, 42),
        steps=(
            _s("VERIFIED", 1.1),
            _s("FORWARDED", 1.9, "Didisposisikan ke Dinas PUPR-Perkim Provinsi Kaltara."),
            _s("IN_PROCESS", 3.4, "Tim UPT jalan dijadwalkan meninjau lokasi."),
            _s("COMPLETED", 8.6,
               "Lubang di ruas Jalan Sengkawit sudah ditambal oleh UPT jalan pada 18 Maret"
               " 2019. Perbaikan drainase masuk usulan anggaran perubahan tahun ini."),
        ),
        reporter_name="Rahmat Hidayat", reporter_contact="081200001101",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Antrean pendaftaran pasien rawat jalan RSUD di Tarakan sangat lama",
        body=(
            "Sy antri daftar poli dalam dr jam 6 pagi baru dipanggil jam 11."
            " Loket cuma buka 2. Tolong ditambah petugasnya."
        ),
        category="kesehatan", region_code="65.71.01", channel="SMS",
        received_at=_at(2019, 5, 6, 13, 15),
        steps=(
            _s("VERIFIED", 0.9),
            _s("FORWARDED", 1.7, "Diteruskan ke RSUD dr. H. Jusuf SK."),
            _s("IN_PROCESS", 2.8),
            _s("COMPLETED", 7.5,
               "Mulai 13 Mei 2019 loket pendaftaran rawat jalan dibuka 4 dan pendaftaran"
               " daring melalui nomor WhatsApp rumah sakit sudah bisa digunakan."),
        ),
        reporter_name="Siti Aminah", reporter_contact="081200001102",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Ijazah SMA lulusan 2018 di Malinau belum diterima",
        body=(
            "Anak sy lulus SMA thn 2018 tp ijazah blm dibagi sampai skrg, kata sekolah"
            " masih di dinas. Mohon dibantu krn mau daftar kerja."
        ),
        category="pendidikan", region_code="65.02.02", channel="SMS",
        received_at=_at(2019, 7, 22, 19, 3),
        steps=(
            _s("VERIFIED", 1.6),
            _s("FORWARDED", 2.5, "Didisposisikan ke Dinas Pendidikan dan Kebudayaan Kaltara."),
            _s("IN_PROCESS", 4.0),
            _s("COMPLETED", 9.2,
               "Blanko ijazah sudah didistribusikan ke sekolah pada 30 Juli 2019. Ijazah"
               " dapat diambil di tata usaha sekolah dengan membawa kartu pelajar."),
        ),
        reporter_name="Yohanes Lawai", reporter_contact="081200001103",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Perekaman KTP-el di Sebatik tertunda karena blanko habis",
        body=(
            "Sdh 3 bln rekam KTP el di kecamatan tp blm jadi, katanya blanko habis."
            " Kami di perbatasan susah bolak balik ke Nunukan."
        ),
        category="kependudukan", region_code="65.03.01", channel="SMS",
        received_at=_at(2019, 8, 14, 10, 27),
        steps=(
            _s("VERIFIED", 1.2),
            _s("FORWARDED", 2.1, "Diteruskan ke Disdukcapil Kabupaten Nunukan melalui admin"
               " SP4N-LAPOR! kabupaten."),
            _s("IN_PROCESS", 3.9),
            _s("COMPLETED", 10.0,
               "Disdukcapil Nunukan telah menerima tambahan blanko dan membuka layanan"
               " pencetakan KTP-el keliling di Sebatik pada 22-23 Agustus 2019."),
        ),
        reporter_name="Muhammad Ridwan", reporter_contact="081200001104",
    ),
    DemoReport(
        node="65", kind="INFORMASI",
        title="Permintaan informasi jadwal dan syarat beasiswa mahasiswa Pemprov Kaltara",
        body=(
            "Saya mahasiswa asal Bulungan yang kuliah di Samarinda. Kapan pendaftaran"
            " beasiswa Pemprov Kaltara tahun ini dibuka dan apa saja syaratnya?"
        ),
        category="pendidikan", region_code="65.01", channel="WEB",
        received_at=_at(2019, 9, 2, 21, 40),
        steps=(
            _s("VERIFIED", 1.0),
            _s("IN_PROCESS", 1.8, "Dijawab langsung oleh Biro Kesra."),
            _s("COMPLETED", 5.3,
               "Pendaftaran beasiswa dibuka 1-31 Oktober 2019 secara daring. Syarat: KTP"
               " atau KK Kaltara, kartu mahasiswa aktif, transkrip nilai dan surat"
               " keterangan tidak menerima beasiswa lain."),
        ),
        reporter_name="Nur Aisyah Putri", reporter_contact="081200001105",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Air PDAM di Tarakan Timur tidak mengalir selama seminggu",
        body=(
            "Sudah 1 minggu air PDAM mati total di RT kami, tagihan tetap jalan."
            " Tidak ada pemberitahuan apa2."
        ),
        category="pelayanan-publik", region_code="65.71.03", channel="SMS",
        received_at=_at(2019, 10, 21, 6, 55),
        steps=(
            _s("VERIFIED", 0.8),
            _s("FORWARDED", 1.5, "Diteruskan ke Pemerintah Kota Tarakan (PDAM Tirta Alam)."),
            _s("IN_PROCESS", 2.6),
            _s("COMPLETED", 6.9,
               "Pipa distribusi yang bocor di Tarakan Timur sudah diperbaiki dan aliran air"
               " normal kembali sejak 27 Oktober 2019. Tagihan bulan ini disesuaikan."),
        ),
        anonymous=True,
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Jadwal speedboat Nunukan-Tarakan sering berubah tanpa pemberitahuan",
        body=(
            "Speedboat ke Tarakan sering batal berangkat pagi tanpa info, penumpang"
            " menunggu di pelabuhan berjam jam. Mohon diawasi."
        ),
        category="perhubungan", region_code="65.03.02", channel="SMS",
        received_at=_at(2019, 12, 9, 7, 30),
        steps=(
            _s("VERIFIED", 1.3),
            _s("FORWARDED", 2.2, "Didisposisikan ke Dinas Perhubungan Provinsi Kaltara."),
            _s("IN_PROCESS", 3.5),
            _s("COMPLETED", 9.8,
               "Dishub telah menegur operator dan mewajibkan pengumuman perubahan jadwal"
               " di loket pelabuhan dan media sosial paling lambat sehari sebelumnya."),
        ),
        reporter_name="Hasanuddin", reporter_contact="081200001106",
    ),
    DemoReport(
        node="65", kind="ASPIRASI",
        title="Usulan sosialisasi kanal SP4N-LAPOR! di kantor dinas",
        body=(
            "Banyak warga belum tahu bisa melapor lewat SMS 1708 atau lapor.go.id."
            " Sebaiknya dipasang spanduk cara melapor di pintu masuk setiap dinas."
        ),
        category="pelayanan-publik", region_code="65", channel="WEB",
        received_at=_at(2020, 2, 3, 10, 12),
        steps=(
            _s("VERIFIED", 1.0),
            _s("IN_PROCESS", 2.0, "Ditangani Biro Organisasi Setprov Kaltara."),
            _s("COMPLETED", 8.0,
               "Terima kasih atas usulannya. Sosialisasi bersama kabupaten/kota dilaksanakan"
               " 3-4 Maret 2020 dan spanduk cara melapor dipasang di pintu masuk dinas."),
        ),
        reporter_name="Dewi Lestari", reporter_contact="081200001107",
    ),
    # --- six still in process ---
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Tidak ada sinyal telepon dan internet di Long Bawan, Krayan",
        body=(
            "Di Long Bawan sinyal hilang berhari hari, blankspot. Mau lapor ini saja"
            " harus naik ke bukit. Mohon dibangun tower di perbatasan."
        ),
        category="telekomunikasi", region_code="65.03.05", channel="SMS",
        received_at=_at(2019, 11, 18, 16, 5),
        steps=(
            _s("VERIFIED", 2.7),
            _s("FORWARDED", 3.6, "Didisposisikan ke Diskominfo Provinsi Kaltara untuk"
               " koordinasi dengan BAKTI Kominfo."),
            _s("IN_PROCESS", 6.1, "Usulan menara BTS perbatasan sedang diajukan ke pusat."),
        ),
        reporter_name="Daniel Padan", reporter_contact="081200001108",
    ),
    DemoReport(
        node="65", kind="ASPIRASI",
        title="Usulan lampu penerangan jalan di jalan poros Sesayap",
        body=(
            "Jalan poros di Sesayap gelap gulita malam hari dan rawan kecelakaan."
            " Kami usul dipasang lampu jalan tenaga surya."
        ),
        category="infrastruktur", region_code="65.04.01", channel="WEB",
        received_at=_at(2020, 1, 13, 20, 18),
        steps=(
            _s("VERIFIED", 1.4),
            _s("FORWARDED", 2.3, "Diteruskan ke Dinas PUPR-Perkim Provinsi Kaltara."),
            _s("IN_PROCESS", 5.2),
        ),
        reporter_name="Agus Salim", reporter_contact="081200001109",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Dugaan pungutan tambahan dalam pengurusan izin usaha di Tanjung Palas",
        body=(
            "Saat mengurus izin usaha kecil saya diminta membayar uang percepatan di luar"
            " tarif resmi. Saya minta identitas saya dan laporan ini tidak dipublikasikan."
        ),
        category="perizinan", region_code="65.01.01", channel="WEB",
        received_at=_at(2020, 2, 17, 11, 2),
        steps=(
            _s("VERIFIED", 1.8, "Laporan ditandai rahasia atas permintaan pelapor."),
            _s("FORWARDED", 2.6, "Diteruskan ke Inspektorat untuk klarifikasi."),
            _s("IN_PROCESS", 6.0),
        ),
        confidential=True,
        reporter_name="Fitriani", reporter_contact="081200001110",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Puskesmas di Kayan Hulu tidak ada dokter dan obat sering kosong",
        body=(
            "Puskesmas Long Nawang sdh 2 bln tdk ada dokter, obat jg sering habis."
            " Warga harus ke Malinau naik pesawat perintis."
        ),
        category="kesehatan", region_code="65.02.05", channel="SMS",
        received_at=_at(2020, 3, 2, 9, 48),
        steps=(
            _s("VERIFIED", 2.9),
            _s("FORWARDED", 3.8, "Didisposisikan ke Dinas Kesehatan Provinsi Kaltara dan"
               " Dinkes Kabupaten Malinau."),
            _s("IN_PROCESS", 7.4),
        ),
        reporter_name="Markus Njau", reporter_contact="081200001111",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Jembatan kayu penghubung desa di Tana Lia lapuk dan berbahaya",
        body=(
            "Jembatan kayu ke sekolah di desa kami lapuk, papan bnyk yg patah."
            " Anak2 tiap hari lewat situ."
        ),
        category="infrastruktur", region_code="65.04.03", channel="SMS",
        received_at=_at(2020, 3, 23, 15, 36),
        steps=(
            _s("VERIFIED", 1.5),
            _s("IN_PROCESS", 4.4, "Ditangani Dinas PUPR-Perkim; survei lokasi tertunda"
               " pembatasan perjalanan Covid-19."),
        ),
        reporter_name="Ahmad Fauzi", reporter_contact="081200001112",
    ),
    DemoReport(
        node="65", kind="PENGADUAN",
        title="Listrik sering padam bergiliran di Tanjung Selor",
        body=(
            "Listrik padam hampir setiap malam 2-3 jam tanpa jadwal yang jelas."
            " Peralatan rumah tangga kami rusak dan anak-anak susah belajar."
        ),
        category="energi", region_code="65.01.05", channel="WEB",
        received_at=_at(2020, 4, 14, 22, 10),
        steps=(
            _s("VERIFIED", 1.2),
            _s("FORWARDED", 2.4, "Diteruskan ke PLN UP3 Tarakan melalui Dinas ESDM Kaltara."),
            _s("IN_PROCESS", 5.7),
        ),
        reporter_name="Sri Wahyuni", reporter_contact="081200001113",
    ),
)


_KALTIM: tuple[DemoReport, ...] = (
    DemoReport(
        node="64", kind="PENGADUAN",
        title="Tidak ada ruang atau loket pengaduan di UPTD Samsat Samarinda Ulu",
        body=(
            "Saya ingin menyampaikan keluhan soal pelayanan balik nama kendaraan, tapi di"
            " kantor UPTD tidak ada ruang atau petugas pengaduan. Petugas loket hanya"
            " menyuruh saya datang lagi besok."
        ),
        category="pelayanan-publik", region_code="64.72.03", channel="WEB",
        received_at=_at(2021, 3, 15, 10, 20),
        steps=(
            _s("VERIFIED", 1.1),
            _s("FORWARDED", 2.0, "Didisposisikan ke Bapenda Provinsi Kaltim."),
            _s("IN_PROCESS", 4.5, "Bapenda menyiapkan ruang pengaduan di setiap UPTD."),
        ),
        reporter_name="Andi Saputra", reporter_contact="081200002101",
    ),
    DemoReport(
        node="64", kind="PENGADUAN",
        title="UPTD Balai Latihan Kerja di Balikpapan belum punya saluran pengaduan",
        body=(
            "Pengumuman hasil seleksi pelatihan tidak jelas dan saya tidak tahu harus"
            " mengadu ke mana. Di kantor maupun situs UPTD tidak ada nomor atau kotak pengaduan."
        ),
        category="ketenagakerjaan", region_code="64.71.03", channel="APP",
        received_at=_at(2021, 4, 5, 14, 45),
        steps=(
            _s("VERIFIED", 1.9),
            _s("FORWARDED", 2.8, "Diteruskan ke Disnakertrans Provinsi Kaltim."),
        ),
        reporter_name="Rina Marlina", reporter_contact="081200002102",
    ),
    DemoReport(
        node="64", kind="ASPIRASI",
        title="Mohon setiap OPD menetapkan unit pengelola pengaduan dengan SK",
        body=(
            "Di beberapa dinas petugas mengaku belum ada dasar hukum untuk menerima"
            " pengaduan. Sebaiknya setiap OPD dan UPTD menetapkan unit pengelola pengaduan"
            " dengan SK kepala dinas dan mengumumkannya."
        ),
        category="pelayanan-publik", region_code="64", channel="WEB",
        received_at=_at(2021, 4, 27, 8, 5),
        steps=(
            _s("VERIFIED", 1.3, "Dicatat sebagai bahan tindak lanjut temuan Ombudsman."),
        ),
        reporter_name="Bambang Sutrisno", reporter_contact="081200002103",
    ),
    DemoReport(
        node="64", kind="PENGADUAN",
        title="Nomor pengaduan di papan pelayanan dinas tidak aktif",
        body="Nomor pengaduan yg tertulis di papan pelayanan dinas tdk pernah diangkat.",
        category="pelayanan-publik", region_code="64.72", channel="SMS",
        received_at=_at(2021, 4, 29, 17, 50),
        steps=(
            _s("ON_HOLD", 1.4,
               "Ditunda: pelapor belum menyebutkan nama dinas atau UPTD dan nomor yang"
               " dihubungi. Menunggu keterangan tambahan dari pelapor."),
        ),
        reporter_name="Yusuf Mansur", reporter_contact="081200002104",
    ),
    DemoReport(
        node="64", kind="INFORMASI",
        title="Ke mana menyampaikan pengaduan untuk UPTD yang belum punya ruang pengaduan",
        body=(
            "UPTD di dekat rumah saya belum punya ruang pengaduan. Apakah pengaduan"
            " bisa disampaikan lewat Layanan Aspirasi Etam atau harus ke Biro Organisasi?"
        ),
        category="pelayanan-publik", region_code="64.02", channel="SOCIAL",
        received_at=_at(2021, 5, 3, 11, 30),
        steps=(),
        reporter_name="Lina Hartati", reporter_contact="081200002105",
    ),
)


_DKP3A: tuple[DemoReport, ...] = (
    DemoReport(
        node="64.dkp3a", kind="ASPIRASI",
        title="Kemudahan izin usaha bagi ibu rumah tangga pelaku usaha kuliner",
        body=(
            "Saya berjualan kue dari rumah, apalagi ramai saat Ramadan, tapi pengurusan"
            " izin usaha terasa rumit. Mohon ada pendampingan atau layanan jemput bola"
            " untuk perempuan pelaku usaha mikro."
        ),
        category="pemberdayaan-perempuan", region_code="64.72.08", channel="WEB",
        received_at=_at(2021, 4, 19, 15, 0),
        steps=(
            _s("VERIFIED", 1.0),
            _s("FORWARDED", 1.9, "Dikoordinasikan dengan DPMPTSP dan Disperindagkop Kaltim."),
            _s("IN_PROCESS", 3.2),
            _s("COMPLETED", 9.1,
               "DKP3A bersama DPMPTSP membuka pendampingan pengurusan NIB bagi perempuan"
               " pelaku usaha mikro setiap Kamis di kantor DKP3A. Ibu dapat datang dengan"
               " membawa KTP dan foto produk."),
            _s("CLOSED", 19.5),
        ),
        reporter_name="Hj. Nurhayati", reporter_contact="081200003101",
    ),
    DemoReport(
        node="64.dkp3a", kind="PENGADUAN",
        title="Permohonan pendampingan untuk anak yang diduga mengalami kekerasan",
        body=(
            "Anak tetangga saya sering terlihat memar dan menangis malam hari. Saya"
            " khawatir dan mohon ada pendampingan dari Puspaga atau UPTD PPA."
            " Mohon laporan ini tidak dipublikasikan."
        ),
        category="perlindungan-anak", region_code="64.72.07", channel="WEB",
        received_at=_at(2021, 5, 10, 21, 25),
        steps=(
            _s("VERIFIED", 0.4, "Laporan ditandai rahasia."),
            _s("FORWARDED", 0.8, "Diteruskan ke UPTD PPA Provinsi Kaltim dan DP2PA Samarinda."),
            _s("IN_PROCESS", 1.5, "Petugas melakukan penjangkauan ke lokasi."),
        ),
        confidential=True,
        reporter_name="Wulan Sari", reporter_contact="081200003102",
    ),
    DemoReport(
        node="64.dkp3a", kind="INFORMASI",
        title="Informasi tahapan menuju Kabupaten Layak Anak untuk Kabupaten Paser",
        body=(
            "Saya pengurus forum anak di Tanah Grogot. Kami ingin tahu tahapan dan"
            " indikator apa saja yang harus dipenuhi agar Paser menjadi Kabupaten Layak Anak."
        ),
        category="perlindungan-anak", region_code="64.01.04", channel="WEB",
        received_at=_at(2021, 6, 7, 9, 35),
        steps=(
            _s("VERIFIED", 1.2),
            _s("IN_PROCESS", 2.0),
            _s("COMPLETED", 5.6,
               "Penilaian KLA memakai 24 indikator dalam 5 klaster hak anak. DKP3A akan"
               " mengundang forum anak Paser dalam advokasi KLA bulan depan; materi"
               " indikator kami kirim ke nomor Saudara."),
        ),
        reporter_name="Kevin Pratama", reporter_contact="081200003103",
    ),
)


_KUTIM: tuple[DemoReport, ...] = (
    DemoReport(
        node="64.08", kind="PENGADUAN",
        title="Loket Puskesmas Sangatta Utara buka terlambat dan antrean panjang",
        body=(
            "Loket pendaftaran puskesmas baru buka jam 8.30 padahal jadwalnya jam 7.30."
            " Pasien lansia sudah antri dari subuh."
        ),
        category="kesehatan", region_code="64.08.04", channel="SMS",
        received_at=_at(2022, 9, 12, 7, 58),
        steps=(
            _s("VERIFIED", 1.0),
            _s("FORWARDED", 1.8, "Didisposisikan ke Dinas Kesehatan Kabupaten Kutai Timur."),
            _s("IN_PROCESS", 3.0),
            _s("COMPLETED", 7.7,
               "Kepala puskesmas telah menertibkan jam buka loket pukul 07.30 dan"
               " menyediakan antrean prioritas bagi lansia dan ibu hamil."),
        ),
        reporter_name="Suparman", reporter_contact="081200004101",
    ),
    DemoReport(
        node="64.08", kind="PENGADUAN",
        title="Jalan poros Sangatta-Bengalon berlubang di beberapa titik",
        body=(
            "Jalan poros menuju Bengalon banyak lubang dalam dan licin saat hujan."
            " Truk dan motor sering harus berhenti mendadak. Mohon diperbaiki."
        ),
        category="infrastruktur", region_code="64.08.09", channel="WEB",
        received_at=_at(2022, 11, 28, 12, 14),
        steps=(
            _s("VERIFIED", 2.1),
            _s("FORWARDED", 2.9, "Diteruskan ke Dinas PU Kutai Timur; ruas jalan provinsi"
               " dikoordinasikan dengan Dinas PUPR-Pera Kaltim."),
        ),
        reporter_name="Irwansyah", reporter_contact="081200004102",
    ),
    DemoReport(
        node="64.08", kind="PENGADUAN",
        title="Jalan desa di Rantau Pulung rusak parah saat musim hujan",
        body="Jalan desa kami rusak, tolong diperbaiki.",
        category="infrastruktur", region_code="64.08.14", channel="APP",
        received_at=_at(2023, 1, 16, 18, 40),
        steps=(
            _s("ON_HOLD", 1.1,
               "Ditunda: mohon pelapor menyebutkan nama desa, ruas jalan dan melampirkan foto."),
            _s("VERIFIED", 4.3, "Pelapor melengkapi lokasi (Desa Margo Mulyo) dan foto."),
            _s("FORWARDED", 5.0, "Didisposisikan ke Dinas PU Kutai Timur."),
        ),
        reporter_name="Wayan Sudarta", reporter_contact="081200004103",
    ),
    DemoReport(
        node="64.08", kind="ASPIRASI",
        title="Mohon SOP SP4N-LAPOR! Kutim diumumkan beserta batas waktu tindak lanjut",
        body=(
            "Saya mendengar SOP pengelolaan pengaduan SP4N-LAPOR! Kutim sedang difinalisasi."
            " Mohon SOP itu diumumkan di situs Pemkab, termasuk batas waktu tindak lanjut di"
            " setiap perangkat daerah, agar warga bisa ikut mengawasi."
        ),
        category="pelayanan-publik", region_code="64.08", channel="WEB",
        received_at=_at(2023, 7, 20, 10, 5),
        steps=(
            _s("VERIFIED", 1.0),
            _s("IN_PROCESS", 2.2, "Ditangani Diskominfo Staper sebagai admin SP4N-LAPOR! Kutim."),
        ),
        reporter_name="Ratna Dewi", reporter_contact="081200004104",
    ),
)


_KALSEL: tuple[DemoReport, ...] = (
    DemoReport(
        node="63", kind="PENGADUAN",
        title="Laporan perizinan di DPMPTSP belum ditanggapi lebih dari dua minggu",
        body=(
            "Saya sudah melapor soal izin usaha yang tertahan tapi lebih dari dua minggu"
            " belum ada tanggapan. Mohon penanganan laporan dipercepat."
        ),
        category="perizinan", region_code="63.72.02", channel="WEB",
        received_at=_at(2022, 6, 20, 9, 10),
        steps=(
            _s("VERIFIED", 1.0),
            _s("FORWARDED", 1.6, "Didisposisikan ke DPMPTSP Provinsi Kalsel."),
            _s("IN_PROCESS", 2.5),
            _s("COMPLETED", 6.8,
               "Berkas izin Saudara sudah diverifikasi dan izin terbit pada 26 Juni 2022."
               " DPMPTSP menetapkan petugas penghubung untuk tindak lanjut paling lama"
               " 5 hari kerja."),
            _s("CLOSED", 17.0),
        ),
        reporter_name="Muhammad Rizki", reporter_contact="081200005101",
    ),
    DemoReport(
        node="63", kind="ASPIRASI",
        title="Usulan pertukaran data laporan dengan Ombudsman Kalsel",
        body=(
            "Pelapor sering harus mengulang laporan yang sama ke Pemprov dan ke Ombudsman."
            " Sebaiknya data laporan dipertukarkan agar penanganan lebih cepat."
        ),
        category="pelayanan-publik", region_code="63", channel="WEB",
        received_at=_at(2022, 7, 4, 13, 22),
        steps=(
            _s("VERIFIED", 1.1),
            _s("IN_PROCESS", 2.4, "Menjadi bahan pelaksanaan PKS dengan Ombudsman RI"
               " Perwakilan Kalsel."),
        ),
        reporter_name="Ahmad Syarifuddin", reporter_contact="081200005102",
    ),
    DemoReport(
        node="63", kind="PENGADUAN",
        title="Situs PPDB SMA negeri sering gagal diakses saat pendaftaran",
        body=(
            "Situs PPDB error terus dari pagi, tdk bisa unggah berkas."
            " Hari ini hari terakhir pendaftaran."
        ),
        category="pendidikan", region_code="63.71.04", channel="SMS",
        received_at=_at(2022, 6, 14, 10, 45),
        steps=(
            _s("VERIFIED", 0.3),
            _s("FORWARDED", 0.5, "Didisposisikan ke Disdikbud Provinsi Kalsel."),
            _s("IN_PROCESS", 0.8),
            _s("COMPLETED", 1.9,
               "Server PPDB sudah ditambah kapasitasnya dan batas unggah berkas diperpanjang"
               " sampai 17 Juni 2022."),
            _s("IN_PROCESS", 3.0, "Pelapor menyatakan berkas masih gagal diunggah."),
            _s("COMPLETED", 4.6,
               "Berkas Saudara sudah diunggah dengan bantuan posko PPDB di SMA tujuan dan"
               " tercatat lengkap."),
        ),
        reporter_name="Fatimah Zahra", reporter_contact="081200005103",
    ),
)


_KALSEL_DINKES: tuple[DemoReport, ...] = (
    DemoReport(
        node="63.dinkes", kind="PENGADUAN",
        title="Antrean pasien BPJS di RSUD Ulin Banjarmasin dimulai sejak subuh",
        body=(
            "Ibu saya pasien BPJS kontrol rutin. Kami harus datang jam 4 subuh untuk"
            " mengambil nomor antrean dan baru dilayani siang. Mohon sistem antrean diperbaiki."
        ),
        category="kesehatan", region_code="63.71.05", channel="WEB",
        received_at=_at(2022, 3, 14, 8, 30),
        steps=(
            _s("VERIFIED", 1.1),
            _s("FORWARDED", 1.9, "Diteruskan ke RSUD Ulin Banjarmasin."),
            _s("IN_PROCESS", 3.1),
            _s("COMPLETED", 8.4,
               "RSUD Ulin menerapkan antrean daring melalui aplikasi Mobile JKN mulai"
               " April 2022, sehingga pasien kontrol dapat datang sesuai jam yang dipilih."),
        ),
        reporter_name="Gusti Rahmadi", reporter_contact="081200006101",
    ),
    DemoReport(
        node="63.dinkes", kind="PENGADUAN",
        title="Antrean BPJS di RSUD Ulin sejak subuh",
        body="Antrian BPJS di RSUD Ulin hrs dtg jam 4 subuh, tolong diperbaiki.",
        category="kesehatan", region_code="63.71", channel="SMS",
        received_at=_at(2022, 3, 15, 5, 12),
        steps=(
            _s("ARCHIVED", 1.0,
               "Diarsipkan: duplikat laporan yang sama dari pelapor yang sama melalui web"
               " tanggal 14 Maret 2022, yang sedang ditindaklanjuti."),
        ),
        reporter_name="Gusti Rahmadi", reporter_contact="081200006101",
    ),
    DemoReport(
        node="63.dinkes", kind="PENGADUAN",
        title="Puskesmas di Martapura tutup sebelum jam layanan berakhir",
        body=(
            "Puskesmas di Martapura sudah tutup jam 11 siang padahal jadwalnya sampai"
            " jam 14. Anak saya demam dan tidak bisa berobat."
        ),
        category="kesehatan", region_code="63.03.05", channel="APP",
        received_at=_at(2022, 8, 8, 11, 40),
        steps=(
            _s("RETURNED", 1.2,
               "Bukan wewenang: puskesmas dikelola Dinas Kesehatan Kabupaten Banjar."
               " Laporan dikembalikan untuk dialihkan ke Pemkab Banjar."),
        ),
        reporter_name="Noor Hidayah", reporter_contact="081200006102",
    ),
)


REPORTS: tuple[DemoReport, ...] = (
    _KALTARA + _KALTIM + _DKP3A + _KUTIM + _KALSEL + _KALSEL_DINKES
)


# No wrong door: a complaint about a Kutai Timur health clinic, sent to the Kaltara desk.
HANDLER = "64.08"
WRONG_DOOR = DemoReport(
    node="65",
    kind="PENGADUAN",
    title="Puskesmas di Sangatta Utara tutup sebelum jam layanan berakhir",
    body=("Saya sedang bekerja di Tanjung Selor dan melapor lewat sini untuk ibu saya di Sangatta Utara: "
          "puskesmas tutup pukul 12.00 padahal jadwal layanan sampai 14.00."),
    category="kesehatan",
    region_code="64.08.04",
    channel="WEB",
    received_at=_at(2026, 11, 2, 8, 30),
    steps=(
        _s("VERIFIED", 0.1),
        _s("IN_PROCESS", 0.2),
        _s("COMPLETED", 1.0, "Kepala puskesmas telah ditegur; jam layanan kembali sampai pukul 14.00."),
    ),
    reporter_name="Dewi Lestari",
    reporter_contact="081200011223",
)
