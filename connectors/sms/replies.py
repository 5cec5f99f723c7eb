"""The SMS answers, in Indonesian, short enough for one or two messages. A sender never meets silence."""

from __future__ import annotations

from connectors.sms.keywords import KeywordTable, Region
from connectors.sms.parser import Problem
from simpul.report import Report
from simpul.wire import ReportKind, ReportStatus

STATUS_WORDS = {
    ReportStatus.RECEIVED: "diterima, menunggu verifikasi",
    ReportStatus.ON_HOLD: "ditunda, menunggu kelengkapan dari pelapor",
    ReportStatus.VERIFIED: "terverifikasi",
    ReportStatus.FORWARDED: "diteruskan ke unit yang berwenang",
    ReportStatus.IN_PROCESS: "sedang ditindaklanjuti",
    ReportStatus.COMPLETED: "selesai ditindaklanjuti",
    ReportStatus.CLOSED: "ditutup",
    ReportStatus.REJECTED: "ditolak",
    ReportStatus.ARCHIVED: "diarsipkan",
    ReportStatus.RETURNED: "dikembalikan untuk dialihkan",
}

KIND_WORDS = {
    ReportKind.PENGADUAN: "Pengaduan",
    ReportKind.ASPIRASI: "Aspirasi",
    ReportKind.INFORMASI: "Permintaan informasi",
}

ANSWER_CHARS = 200


class Replies:
    """Every reply text this node sends, with its short number and an example keyword filled in."""

    def __init__(self, keywords: KeywordTable, number: str, example_keyword: str) -> None:
        self.keywords = keywords
        self.number = number
        self.example = example_keyword

    @property
    def format_hint(self) -> str:
        return (f"Format: LAPOR{self.example} (spasi) isi laporan, mis. LAPOR{self.example} Jalan rusak di depan"
                f" SDN 1. Cek status: CEK (spasi) nomor laporan. Kirim ke {self.number}.")

    def received(self, kind: ReportKind, tracking_number: str, region: Region) -> str:
        return (f"{KIND_WORDS[kind]} Anda untuk {region.name} diterima. Nomor laporan: {tracking_number}."
                f" Cek status: CEK {tracking_number} ke {self.number}.")

    def status(self, report: Report) -> str:
        answers = [e.note for e in report.timeline if e.status is ReportStatus.COMPLETED and e.note]
        text = f"Laporan {report.tracking_number}: {STATUS_WORDS[report.status]}."
        if answers:
            answer = answers[-1] if len(answers[-1]) <= ANSWER_CHARS else answers[-1][: ANSWER_CHARS - 1] + "…"
            text += f" Tanggapan: {answer}"
        return text

    def reply_taken(self, tracking_number: str) -> str:
        return (f"Balasan Anda untuk laporan {tracking_number} diterima. Laporan dibuka kembali dan akan"
                f" ditindaklanjuti. Cek status: CEK {tracking_number} ke {self.number}.")

    def reply_early(self, report: Report) -> str:
        return (f"Laporan {report.tracking_number} belum mendapat tanggapan ({STATUS_WORDS[report.status]})."
                f" Balasan dapat dikirim setelah unit menanggapi. Cek status: CEK {report.tracking_number}.")

    def reply_elsewhere(self, tracking_number: str) -> str:
        return (f"Laporan {tracking_number} kini ditangani unit lain. Kirim balasan Anda lewat lapor.go.id"
                f" dengan nomor laporan {tracking_number}.")

    def not_found(self, tracking_number: str) -> str:
        return (f"Laporan {tracking_number} tidak ditemukan untuk nomor Anda. Status hanya dikirim ke nomor"
                f" pelapor. Periksa kembali nomor laporan.")

    def invalid_number(self) -> str:
        return ("Maaf, layanan SMS " + self.number + " hanya untuk nomor seluler Indonesia (+62) yang valid."
                " Silakan lapor melalui lapor.go.id.")

    def outside(self, region: Region, served: list[str]) -> str:
        keyword = self.keywords.for_province(region.province)
        here = ", ".join("LAPOR" + k for k in served)
        return (f"Nomor ini melayani {here}. Untuk {region.name} kirim LAPOR{keyword} (spasi) isi laporan"
                f" ke {self.number} atau lewat lapor.go.id.")

    def help(self) -> str:
        return ("Layanan SP4N-LAPOR! " + self.format_hint
                + " Balas tanggapan: BALAS (spasi) nomor laporan (spasi) isi balasan.")

    def problem(self, problem: Problem, keyword: str | None, max_length: int) -> str:
        if problem is Problem.NO_KEYWORD:
            return "Kata kunci wilayah belum ada. " + self.format_hint
        if problem is Problem.UNKNOWN_KEYWORD:
            guess = self.keywords.suggest(keyword) if keyword else None
            hint = f" Maksud Anda LAPOR{guess}?" if guess else ""
            return f"Kata kunci LAPOR{keyword or ''} tidak dikenal.{hint} " + self.format_hint
        if problem is Problem.EMPTY_TEXT:
            return f"Isi laporan kosong. Tulis setelah LAPOR{keyword or self.example} lalu spasi. " + self.format_hint
        if problem is Problem.TOO_LONG:
            return (f"Laporan terlalu panjang (maks. {max_length} karakter). Ringkas isinya atau lapor lewat"
                    f" lapor.go.id.")
        if problem is Problem.REPLY_NO_NUMBER:
            return (f"Nomor laporan belum ada atau tidak sah. Format: BALAS (spasi) nomor laporan (spasi) isi"
                    f" balasan, kirim ke {self.number}.")
        if problem is Problem.REPLY_EMPTY:
            return (f"Isi balasan kosong. Format: BALAS (spasi) nomor laporan (spasi) isi balasan, kirim ke"
                    f" {self.number}.")
        if problem is Problem.NO_REQUESTER:
            example = keyword or self.example
            return (f"Permintaan informasi wajib menyebut nama dan alamat pemohon (UU 14/2008). Format: LAPOR{example}"
                    f" INFO nama#alamat#informasi yang diminta, mis. LAPOR{example} INFO Budi Santoso#Jl. Merdeka 5"
                    f"#Salinan anggaran dinas 2024. Kirim ke {self.number}.")
        if problem is Problem.NO_TRACKING_NUMBER:
            return f"Nomor laporan belum ada atau tidak sah. Format: CEK (spasi) nomor laporan, kirim ke {self.number}."
        return "Format SMS tidak dikenali. " + self.format_hint
