"""Which category an SMS report's words name, where the node's config maps words to categories.

`[categories]` in the config maps a word to a category (`JALAN = "infrastruktur"`, `SEKOLAH = "pendidikan"`).
A report whose words name exactly one category gets it; one naming none, or two different ones, gets the node's
fallback category ("umum"), and the admin reclassifies it at verification (verifyReport).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_WORD = re.compile(r"^[A-Z0-9]{2,40}$")


class CategoryError(ValueError):
    """A category table with a word that cannot be matched or a category no report may carry."""


class CategoryWords:
    """Word (upper case) -> category, with the fallback for a report that names none or several."""

    def __init__(self, words: Mapping[str, str], fallback: str) -> None:
        self.fallback = fallback
        self.categories: dict[str, str] = {}
        for word, category in words.items():
            key = word.strip().upper()
            if not _WORD.match(key):
                raise CategoryError(f"category word {word!r} must be 2 to 40 letters or digits")
            if not category.strip() or len(category) > 100:
                raise CategoryError(f"category word {word!r}: the category must be 1 to 100 characters")
            self.categories[key] = category.strip()

    def of(self, text: str) -> str:
        """The one category the words of `text` name, else the fallback."""
        named = {self.categories[w] for w in re.findall(r"[A-Z0-9]+", text.upper()) if w in self.categories}
        return named.pop() if len(named) == 1 else self.fallback
