"""Reading an SMS: many spellings of one request, every way a message can be unreadable; and for any SMS at
all, the parser always answers and a well-formed one always reads the same."""

from __future__ import annotations

import re

import lokal
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from connectors.base import ReportKind
from connectors.sms.keywords import KeywordTable
from connectors.sms.parser import (
    KIND_WORDS,
    HelpRequest,
    NewReportMessage,
    Problem,
    Requester,
    StatusQuery,
    Unreadable,
    parse,
)

TABLE = KeywordTable({"KUTIM": "64.08"})
KEYWORDS = sorted(TABLE.regions)
# Full names as people type them, with spaces: `LAPOR PAPUA BARAT DAYA ...`.
SPOKEN_NAMES = sorted(name.upper() for name in lokal.PROVINCES.values() if " " in name)

sms_text = st.text(st.characters(codec="utf-8"), max_size=300) | st.text(
    st.sampled_from("LAPORCEKlaporcek KALTARA:.,;#-\n\t0123456789 INFO?"), max_size=60
)
whitespace = st.text(st.sampled_from(" \t\r\n\u00a0\u2003\u3000"), max_size=4)
# A body that starts with a word, as a reporter writes it.
body = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=200).filter(
    lambda b: not re.match(r"[\s:.,;#\-]", b) and b.strip() != ""
)


def _squash(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _starts_plainly(keyword: str, text: str) -> bool:
    """Whether `text` after `keyword` neither extends the keyword (PAPUA + BARAT) nor names a kind."""
    words = text.split()
    joined = [_squash(keyword + "".join(words[:n])) for n in range(1, 4)]
    return words[0].rstrip(":.,").upper() not in KIND_WORDS and not any(j in TABLE.regions for j in joined)


def _mixed_case(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips + [False] * len(text)))


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
    ("LAPORKALTIM INFO Siti#Jl. Juanda 3#jadwal vaksin", ReportKind.INFORMASI, "jadwal vaksin"),
    ("LAPORKALTIM Informasi Siti # Jl. Juanda 3 # jadwal vaksin", ReportKind.INFORMASI, "jadwal vaksin"),
    ("LAPORKALTIM Infonya jalan rusak", ReportKind.PENGADUAN, "Infonya jalan rusak"),
])
def test_a_first_word_may_name_the_kind(sms: str, kind: ReportKind, text: str) -> None:
    message = parse(sms, TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert (message.kind, message.text) == (kind, text)
    assert message.requester == (Requester("Siti", "Jl. Juanda 3") if kind is ReportKind.INFORMASI else None)


@pytest.mark.parametrize("sms", [
    "LAPORKALTIM INFO jadwal vaksin", "LAPORKALTIM INFO Siti#jadwal vaksin", "LAPORKALTIM INFO Siti# #jadwal vaksin",
    "LAPORKALTIM INFO Siti#Jl. Juanda 3#", "LAPORKALTIM informasi Siti##minta data",
])
def test_an_information_request_without_name_address_and_request_is_told_the_format(sms: str) -> None:
    assert parse(sms, TABLE, 1000) == Unreadable(Problem.NO_REQUESTER, "KALTIM")


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


@given(sms_text, st.integers(min_value=1, max_value=2000))
def test_any_text_gets_an_answer_and_never_an_exception(text: str, max_length: int) -> None:
    message = parse(text, TABLE, max_length)
    assert isinstance(message, NewReportMessage | StatusQuery | HelpRequest | Unreadable)
    if isinstance(message, NewReportMessage):
        assert message.text and message.text == message.text.strip()
        assert len(message.text) <= max_length and "\x00" not in message.text
        assert TABLE.get(message.keyword) == message.region
    if isinstance(message, StatusQuery):
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9._\-]{0,79}", message.tracking_number)


@given(sms_text, whitespace, whitespace, st.integers(min_value=0, max_value=3))
def test_surrounding_whitespace_and_nul_characters_change_nothing(
    text: str, before: str, after: str, nul_at: int
) -> None:
    padded = before + text[:nul_at] + "\x00" + text[nul_at:] + after
    assert parse(padded, TABLE, 160) == parse(text, TABLE, 160)


@given(st.sampled_from(KEYWORDS), body, st.sampled_from(["", " ", "  ", ":", ": ", "-", "\n", " \t"]))
def test_a_report_for_any_keyword_reads_its_region_and_its_text(keyword: str, text: str, gap: str) -> None:
    assume(_starts_plainly(keyword, text))
    message = parse(f"LAPOR{keyword}{gap or ' '}{text}", TABLE, 1000)
    assert message == NewReportMessage(keyword, TABLE.regions[keyword], ReportKind.PENGADUAN, " ".join(text.split()))


@given(st.sampled_from(SPOKEN_NAMES), body)
def test_a_province_named_in_full_with_spaces_reads_that_province(name: str, text: str) -> None:
    keyword = _squash(name)
    assume(_starts_plainly(keyword, text))
    message = parse(f"LAPOR {name} {text}", TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert (message.region, message.text) == (TABLE.regions[keyword], " ".join(text.split()))


@given(st.sampled_from(KEYWORDS), st.sampled_from(sorted(KIND_WORDS)), body)
def test_a_kind_word_first_sets_the_kind_and_is_dropped(keyword: str, word: str, text: str) -> None:
    assume(_starts_plainly(keyword, text) and "#" not in text)
    requester = "Budi#Jl. Merdeka 5#" if KIND_WORDS[word] is ReportKind.INFORMASI else ""
    message = parse(f"LAPOR{keyword} {word.lower()}: {requester}{text}", TABLE, 1000)
    assert isinstance(message, NewReportMessage)
    assert (message.kind, message.text) == (KIND_WORDS[word], " ".join(text.split()))


@given(st.sampled_from(KEYWORDS), body, st.lists(st.booleans(), max_size=50))
def test_the_case_of_lapor_and_the_keyword_does_not_matter(keyword: str, text: str, flips: list[bool]) -> None:
    assume(_starts_plainly(keyword, text))
    sms = f"LAPOR{keyword} {text}"
    head = _mixed_case(f"LAPOR{keyword}", flips)
    assert parse(head + f" {text}", TABLE, 1000) == parse(sms, TABLE, 1000)


@given(st.sampled_from(KEYWORDS), body, st.integers(min_value=1, max_value=250))
def test_a_text_over_the_limit_is_too_long_and_one_within_is_taken(keyword: str, text: str, limit: int) -> None:
    assume(_starts_plainly(keyword, text))
    length = len(" ".join(text.split()))
    message = parse(f"LAPOR{keyword} {text}", TABLE, limit)
    if length > limit:
        assert message == Unreadable(Problem.TOO_LONG, keyword)
    else:
        assert isinstance(message, NewReportMessage)


@given(st.sampled_from(KEYWORDS), whitespace, st.sampled_from(["", ":", " - ", " ASPIRASI", " info:"]))
def test_a_keyword_with_nothing_to_report_says_the_text_is_empty(keyword: str, gap: str, tail: str) -> None:
    assert parse(f"LAPOR{keyword}{tail}{gap}", TABLE, 1000) == Unreadable(Problem.EMPTY_TEXT, keyword)


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9]{1,15}", fullmatch=True), body)
def test_an_unknown_keyword_is_named_back_to_the_sender(word: str, text: str) -> None:
    assume(not any(_squash(word + "".join(text.split()[:n])) in TABLE.regions for n in range(4)))
    assert parse(f"LAPOR{word} {text}", TABLE, 1000) == Unreadable(Problem.UNKNOWN_KEYWORD, word.upper())


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,79}", fullmatch=True),
       st.sampled_from([" ", ":", "#", " - ", "  "]), st.lists(st.booleans(), max_size=3))
def test_a_status_query_reads_its_tracking_number_in_upper_case(number: str, gap: str, flips: list[bool]) -> None:
    assert parse(_mixed_case("CEK", flips) + gap + number, TABLE, 160) == StatusQuery(number.upper())


@given(st.sampled_from(["HELP", "BANTUAN", "INFO", "?", "MENU", "FORMAT", ""]), whitespace,
       st.lists(st.booleans(), max_size=8))
def test_help_words_in_any_case_ask_for_help(word: str, gap: str, flips: list[bool]) -> None:
    assert parse(gap + _mixed_case(word, flips) + gap, TABLE, 160) == HelpRequest()
