"""What an incoming SMS asks for: a report (`LAPOR<KEYWORD> <text>`), a status (`CEK <number>`), a reply to the
unit's answer (`BALAS <number> <text>`), or help.

Case does not matter and spacing is forgiven: `lapor kaltara  jalan rusak`,
`LAPORKALTARA:jalan rusak` and `LAPOR PAPUA BARAT DAYA ...` all parse. The
first word of the text may name the kind of submission: ASPIRASI or SARAN
make an aspiration, INFO or INFORMASI an information request, PENGADUAN or
ADUAN (or nothing) a complaint; the word is then dropped from the text.

A permintaan informasi names its requester (UU 14/2008 art. 22: name and address), before the request and
separated by `#`: `LAPORKALTARA INFO Budi Santoso#Jl. Merdeka 5 Tarakan#Salinan APBD 2024`. Without both, the
sender is told the format; an incomplete request is never taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from connectors.sms.keywords import KeywordTable, Region
from simpul.wire import ReportKind

_CEK = re.compile(r"^CEK(?:\s*[:#\-]\s*|\s+|$)(.*)$", re.IGNORECASE | re.DOTALL)
_BALAS = re.compile(r"^BALAS(?:\s*[:#\-]\s*|\s+|$)(\S*)(.*)$", re.IGNORECASE | re.DOTALL)
_TRACKING = re.compile(r"^[A-Z0-9][A-Z0-9._\-]{0,79}$")
_HELP = {"HELP", "BANTUAN", "INFO", "?", "MENU", "FORMAT"}
_LEADING = re.compile(r"^[\s:.,;#\-]+")

KIND_WORDS = {
    "PENGADUAN": ReportKind.PENGADUAN, "ADUAN": ReportKind.PENGADUAN,
    "ASPIRASI": ReportKind.ASPIRASI, "SARAN": ReportKind.ASPIRASI,
    "INFO": ReportKind.INFORMASI, "INFORMASI": ReportKind.INFORMASI,
}


class Problem(Enum):
    """Why a message could not be understood; each has its own helpful reply."""

    NO_KEYWORD = "no_keyword"
    UNKNOWN_KEYWORD = "unknown_keyword"
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"
    NO_TRACKING_NUMBER = "no_tracking_number"
    REPLY_NO_NUMBER = "reply_no_number"  # BALAS without a valid tracking number
    REPLY_EMPTY = "reply_empty"  # BALAS <number> with nothing to say
    UNKNOWN_COMMAND = "unknown_command"
    NO_REQUESTER = "no_requester"  # INFO without name#address#request


@dataclass(frozen=True)
class Requester:
    """Who asks for information, as a permintaan informasi must say."""

    name: str
    address: str


@dataclass(frozen=True)
class NewReportMessage:
    keyword: str
    region: Region
    kind: ReportKind
    text: str
    requester: Requester | None = None  # a permintaan informasi's; None for other kinds


@dataclass(frozen=True)
class StatusQuery:
    tracking_number: str


@dataclass(frozen=True)
class ReplyMessage:
    """The reporter answers the unit's tanggapan: the report opens again."""

    tracking_number: str
    text: str


@dataclass(frozen=True)
class HelpRequest:
    pass


@dataclass(frozen=True)
class Unreadable:
    problem: Problem
    keyword: str | None = None  # what the sender typed as a keyword, for UNKNOWN_KEYWORD


Message = NewReportMessage | StatusQuery | ReplyMessage | HelpRequest | Unreadable


def _split_kind(text: str) -> tuple[ReportKind, str]:
    first, _, rest = text.partition(" ")
    kind = KIND_WORDS.get(first.rstrip(":.,").upper())
    if kind is None:
        return ReportKind.PENGADUAN, text
    return kind, _LEADING.sub("", rest)


def _report(rest: str, glued: bool, keywords: KeywordTable, max_length: int) -> Message:
    # Punctuation right after the keyword (LAPORKALTARA:jalan) separates like a space.
    words = re.sub(r"^([A-Za-z0-9]+)[:.,;#\-]+", r"\1 ", rest).split()
    if not words:
        return Unreadable(Problem.NO_KEYWORD)
    found = keywords.longest_at(words)
    if found is None:
        # `LAPOR jalan rusak`: the keyword is missing; `LAPORXYZ ...`: it is mistyped.
        return Unreadable(Problem.UNKNOWN_KEYWORD, words[0].upper()) if glued else Unreadable(Problem.NO_KEYWORD)
    keyword, used = found
    kind, text = _split_kind(_LEADING.sub("", " ".join(words[used:])))
    if not text:
        return Unreadable(Problem.EMPTY_TEXT, keyword)
    if len(text) > max_length:
        return Unreadable(Problem.TOO_LONG, keyword)
    region = keywords.get(keyword)
    assert region is not None
    if kind is not ReportKind.INFORMASI:
        return NewReportMessage(keyword, region, kind, text)
    name, address, asked = ([p.strip() for p in text.split("#", 2)] + ["", ""])[:3]
    if not (name and address and asked):
        return Unreadable(Problem.NO_REQUESTER, keyword)
    return NewReportMessage(keyword, region, kind, asked, Requester(name, address))


def parse(text: str, keywords: KeywordTable, max_length: int) -> Message:
    """Read one SMS; never raises, an unreadable message says why."""
    text = text.replace("\x00", "").strip()
    if text[:5].upper() == "LAPOR":
        rest = text[5:]
        return _report(rest, rest[:1].isalnum(), keywords, max_length)
    check = _CEK.match(text)
    if check:
        number = check[1].strip().upper()
        if not _TRACKING.match(number):
            return Unreadable(Problem.NO_TRACKING_NUMBER)
        return StatusQuery(number)
    reply = _BALAS.match(text)
    if reply:
        number, said = reply[1].rstrip(":,;").upper(), _LEADING.sub("", reply[2]).strip()
        if not _TRACKING.match(number):
            return Unreadable(Problem.REPLY_NO_NUMBER)
        if not said:
            return Unreadable(Problem.REPLY_EMPTY)
        if len(said) > max_length:
            return Unreadable(Problem.TOO_LONG)
        return ReplyMessage(number, said)
    if not text or text.upper() in _HELP:
        return HelpRequest()
    return Unreadable(Problem.UNKNOWN_COMMAND)
