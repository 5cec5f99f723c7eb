"""hub/access/parse.py: document text is measured in bytes before parsing, and caches are bounded by bytes."""

from __future__ import annotations

import pytest

from hub.access.parse import DocumentTooLarge, TextCache, check_document_size


def test_a_document_over_the_byte_limit_is_refused_counting_every_byte() -> None:
    check_document_size("{ me { role } }", 64)
    check_document_size(None, 64)
    with pytest.raises(DocumentTooLarge, match="is 65 bytes; the limit is 64 bytes"):
        check_document_size("#" + "x" * 49 + "\n{ __typename }", 64)  # a comment counts like anything else
    with pytest.raises(DocumentTooLarge, match="is 80 bytes"):
        check_document_size("é" * 40, 64)  # bytes, not characters


def test_the_cache_keeps_at_most_its_bytes_and_never_a_large_document() -> None:
    cache: TextCache[int] = TextCache(max_bytes=1000)
    made: list[str] = []

    def make(text: str) -> int:
        made.append(text)
        return len(text)

    for i in range(50):
        text = f"{i:03d}" + "x" * 57  # 60 bytes each
        assert cache.get(text, lambda t=text: make(t)) == 60  # type: ignore[misc]
    assert cache.bytes <= 1000 and len(cache) == 16
    recent = "049" + "x" * 57
    cache.get(recent, lambda: make(recent))
    assert made.count(recent) == 1, "a recent document is answered from the cache"
    large = "y" * 101
    cache.get(large, lambda: make(large))
    cache.get(large, lambda: make(large))
    assert made.count(large) == 2 and large not in cache._found
