"""Reading an SMS: many spellings of one request, and every way a message can be unreadable."""

from __future__ import annotations

import pytest

from connectors.base import ReportKind
from connectors.sms.keywords import KeywordTable
from connectors.sms.parser import (
    HelpRequest,
    NewReportMessage,
    Problem,
    StatusQuery,
    Unreadable,
    parse,
)

TABLE = KeywordTable({"KUTIM": "64.08"})


@pytest.mark.parametrize("sms", [
    "LAPORKALTARA Jalan rusak di Tanjung Selor",
    "laporkaltara jalan rusak di Tanjung Selor",
    "  LaporKaltara   Jalan rusak di Tanjung Selor  ",
    "LAPOR KALTARA Jalan rusak di Tanjung Selor",
    "LAPORKALTARA:Jalan rusak di Tanjung Selor",
    "LAPORKALTARA: Jalan rusak di Tanjung Selor",
    "LAPOR-KALTARA Jalan rusak di Tanjung Selor",
    "LAPORKALTARA\nJalan rusak di Tanjung Selor",
    "LAPOR KALIMANTAN UTARA Jalan rusak di Tanjung Selor",
    "LAPORKALTARA PENGADUAN Jalan rusak di Tanjung Selor",
    "LAPORKALTARA aduan: Jalan rusak di Tanjung Selor",
])
def test_spellings_of_one_report_read_the_same(sms: str) -> None:
    message = parse(sms, TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert message.region.code == "65"
    assert message.kind is ReportKind.PENGADUAN
    assert message.text.lower() == "jalan rusak di tanjung selor"


@pytest.mark.parametrize(("sms", "code", "text"), [
    ("LAPORPAPUABARATDAYA Sampah di pasar Sorong", "96", "Sampah di pasar Sorong"),
    ("LAPOR PAPUA BARAT DAYA Sampah di pasar Sorong", "96", "Sampah di pasar Sorong"),
    ("LAPORPAPUA BARAT Sampah di Manokwari", "92", "Sampah di Manokwari"),
    ("LAPORPAPUA Sampah di Jayapura", "91", "Sampah di Jayapura"),
    ("LAPORDKI Banjir di Kemang", "31", "Banjir di Kemang"),
    ("LAPORJAKARTA Banjir di Kemang", "31", "Banjir di Kemang"),
    ("LAPORKUTIM Jalan Sangatta rusak", "64.08", "Jalan Sangatta rusak"),
    ("LAPORJABAR 123 lampu mati", "32", "123 lampu mati"),
])
def test_the_keyword_decides_the_region(sms: str, code: str, text: str) -> None:
    message = parse(sms, TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert (message.region.code, message.text) == (code, text)


@pytest.mark.parametrize(("sms", "kind", "text"), [
    ("LAPORKALTIM ASPIRASI Tambah taman kota", ReportKind.ASPIRASI, "Tambah taman kota"),
    ("LAPORKALTIM saran: tambah taman kota", ReportKind.ASPIRASI, "tambah taman kota"),
    ("LAPORKALTIM INFO jadwal vaksin", ReportKind.INFORMASI, "jadwal vaksin"),
    ("LAPORKALTIM Informasi jadwal vaksin", ReportKind.INFORMASI, "jadwal vaksin"),
    ("LAPORKALTIM Infonya jalan rusak", ReportKind.PENGADUAN, "Infonya jalan rusak"),
])
def test_a_first_word_may_name_the_kind(sms: str, kind: ReportKind, text: str) -> None:
    message = parse(sms, TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert (message.kind, message.text) == (kind, text)


@pytest.mark.parametrize(("sms", "number"), [
    ("CEK 65.SMS-000001", "65.SMS-000001"),
    ("cek 65.sms-000001", "65.SMS-000001"),
    ("CEK:65.SMS-000001", "65.SMS-000001"),
    ("  CEK   65.SMS-000001 ", "65.SMS-000001"),
    ("CEK#65-000009", "65-000009"),
])
def test_status_queries(sms: str, number: str) -> None:
    assert parse(sms, TABLE, 1000) == StatusQuery(number)


@pytest.mark.parametrize(("sms", "problem", "keyword"), [
    ("LAPOR", Problem.NO_KEYWORD, None),
    ("LAPOR jalan rusak di depan sekolah", Problem.NO_KEYWORD, None),
    ("LAPORKALTRA jalan rusak", Problem.UNKNOWN_KEYWORD, "KALTRA"),
    ("LAPORMARS jalan rusak", Problem.UNKNOWN_KEYWORD, "MARS"),
    ("LAPORKALTARA", Problem.EMPTY_TEXT, "KALTARA"),
    ("LAPORKALTARA   :  ", Problem.EMPTY_TEXT, "KALTARA"),
    ("LAPORKALTARA ASPIRASI", Problem.EMPTY_TEXT, "KALTARA"),
    ("LAPORKALTARA " + "x" * 41, Problem.TOO_LONG, "KALTARA"),
    ("CEK", Problem.NO_TRACKING_NUMBER, None),
    ("CEK nomor saya ya", Problem.NO_TRACKING_NUMBER, None),
    ("Selamat pagi, jalan rusak", Problem.UNKNOWN_COMMAND, None),
    ("REG LAPOR", Problem.UNKNOWN_COMMAND, None),
])
def test_unreadable_messages_say_why(sms: str, problem: Problem, keyword: str | None) -> None:
    assert parse(sms, TABLE, 40) == Unreadable(problem, keyword)


@pytest.mark.parametrize("sms", ["", "  ", "INFO", "bantuan", "help", "?"])
def test_help(sms: str) -> None:
    assert isinstance(parse(sms, TABLE, 1000), HelpRequest)


def test_exactly_the_length_limit_is_accepted() -> None:
    assert isinstance(parse("LAPORKALTARA " + "x" * 40, TABLE, 40), NewReportMessage)
