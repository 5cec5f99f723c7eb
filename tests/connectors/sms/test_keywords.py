"""The keyword table: every province reachable, no keyword naming two regions."""

from __future__ import annotations

import lokal
import pytest

from connectors.sms.keywords import KeywordError, KeywordTable, Region


def test_every_one_of_the_38_provinces_has_a_keyword() -> None:
    table = KeywordTable()
    covered = {region.code for region in table.regions.values()}
    assert len(lokal.PROVINCES) == 38
    assert covered == set(lokal.PROVINCES)


def test_keywords_are_unique_and_each_names_one_region() -> None:
    table = KeywordTable()
    assert len(table.regions) == len(set(table.regions))
    for keyword, region in table.regions.items():
        assert keyword == keyword.upper()
        assert table.get(keyword.lower()) == region


@pytest.mark.parametrize(("keyword", "code"), [
    ("KALTARA", "65"), ("KALTIM", "64"), ("KALSEL", "63"), ("DKI", "31"), ("JAKARTA", "31"), ("JABAR", "32"),
    ("PAPUABARATDAYA", "96"), ("PBD", "96"), ("PAPUABARAT", "92"), ("PAPUA", "91"), ("ACEH", "11"),
    ("DIY", "34"), ("KEPRI", "21"), ("BABEL", "19"), ("NTT", "53"), ("GORONTALO", "75"), ("MALUT", "82"),
    ("KALIMANTANUTARA", "65"), ("JAWATIMUR", "35"), ("SULTRA", "74"),
])
def test_common_keywords_name_their_province(keyword: str, code: str) -> None:
    region = KeywordTable().get(keyword)
    assert region is not None and region.code == code


def test_a_node_may_add_a_keyword_for_a_kabupaten() -> None:
    table = KeywordTable({"KUTIM": "64.08", "LAPORBERAU": "64.03"})
    assert table.get("KUTIM") == Region("64.08", "Kabupaten Kutai Timur")
    assert table.get("berau") == Region("64.03", "Kabupaten Berau")


@pytest.mark.parametrize(("extra", "message"), [
    ({"KALTIM": "65"}, "already names Kalimantan Timur"),
    ({"KUTIM": "99.01"}, "is no Kemendagri region"),
    ({"KUTIM": "64.99"}, "is no Kemendagri region"),
    ({"KU TIM": "64.08"}, "letters or digits"),
    ({"KUTIM": "64-08"}, "invalid region code"),
])
def test_an_ambiguous_or_unknown_added_keyword_is_refused(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        KeywordTable(extra)
    assert issubclass(KeywordError, ValueError)


def test_a_mistyped_keyword_gets_a_suggestion() -> None:
    table = KeywordTable()
    assert table.suggest("KALTRA") == "KALTARA"
    assert table.suggest("QQQQQ") is None
    assert table.for_province("65") == "KALTARA"
