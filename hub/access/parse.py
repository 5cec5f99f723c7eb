"""Parsing GraphQL documents within a byte budget: refuse large text before it is parsed, and cache what was
parsed by its size, not its count.

graphql-core's token limit counts neither comments nor string contents, so a 1 MB comment is a handful of
tokens; and a cache of 1,000 documents of any size held whatever an anonymous caller sent. Here the text's
bytes are counted first, and the caches hold at most a fixed number of bytes of document text.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from graphql import GraphQLError, parse
from strawberry.extensions import SchemaExtension

from simpul.errors import PublicError

T = TypeVar("T")

CACHE_BYTES = 4 << 20  # document text a cache keeps, in bytes (a frontend's documents are a few KiB each)
TOO_LARGE = "the GraphQL document is {size} bytes; the limit is {limit} bytes"


class DocumentTooLarge(PublicError):
    code = "DOCUMENT_TOO_LARGE"


def check_document_size(text: str | None, limit: int) -> None:
    """Refuse query text over `limit` bytes (UTF-8), whichever door it came through."""
    if text is not None and len(text) > limit // 4 and (size := len(text.encode())) > limit:
        raise DocumentTooLarge(TOO_LARGE.format(size=size, limit=limit))


class TextCache(Generic[T]):
    """Least recently used values by document text, holding at most `max_bytes` of text; a document larger
    than a tenth of that is never kept."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._found: OrderedDict[str, T] = OrderedDict()

    def get(self, text: str, make: Callable[[], T]) -> T:
        found = self._found.get(text)
        if found is not None:
            self._found.move_to_end(text)
            return found
        value = make()
        if len(text) <= self.max_bytes // 10:
            self._found[text] = value
            self.bytes += len(text)
            while self.bytes > self.max_bytes:
                evicted, _ = self._found.popitem(last=False)
                self.bytes -= len(evicted)
        return value

    def __len__(self) -> int:
        return len(self._found)


class BoundedParse(SchemaExtension):
    """Refuse a document over the byte limit before parsing, then parse through the process's cache."""

    def __init__(self, cache: TextCache[object], max_bytes: int) -> None:
        super().__init__()
        self.cache = cache
        self.max_bytes = max_bytes

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        if ec.query is not None and ec.graphql_document is None:
            try:
                check_document_size(ec.query, self.max_bytes)
            except DocumentTooLarge as exc:
                raise GraphQLError(str(exc), extensions=exc.extensions) from None
            query, options = ec.query, ec.parse_options
            ec.graphql_document = self.cache.get(query, lambda: parse(query, **options))  # type: ignore[assignment]
        yield
