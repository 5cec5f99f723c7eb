"""The SMS door's category words: one category named sets it, none or two leave the fallback."""

from __future__ import annotations

import pytest

from connectors.sms.categories import CategoryError, CategoryWords

WORDS = CategoryWords({"guru": "pendidikan", "SEKOLAH": "pendidikan", "Puskesmas": "kesehatan"}, "umum")


@pytest.mark.parametrize(("text", "category"), [
    ("Guru honorer belum digaji", "pendidikan"),
    ("guru dan SEKOLAH: atap bocor", "pendidikan"),  # two words, one category
    ("PUSKESMAS tutup, sekolah libur", "umum"),  # two categories: the admin decides at verification
    ("Lampu jalan padam", "umum"),
    ("Perguruan tinggi", "umum"),  # a word, not a part of one
])
def test_the_one_category_the_words_name_else_the_fallback(text: str, category: str) -> None:
    assert WORDS.of(text) == category


@pytest.mark.parametrize(("words", "message"), [
    ({"jalan raya": "infrastruktur"}, "category word 'jalan raya' must be 2 to 40 letters or digits"),
    ({"JALAN": " "}, "category word 'JALAN': the category must be 1 to 100 characters"),
])
def test_a_word_that_cannot_match_or_an_empty_category_is_refused(words: dict[str, str], message: str) -> None:
    with pytest.raises(CategoryError, match=message):
        CategoryWords(words, "umum")
