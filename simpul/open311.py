"""What a GeoReport v2 request's free text means to simpul, for both directions: the open311 connector
reads a unit's Open311 server, the hub's facade (hub/open311/) takes requests from Open311 clients."""

from __future__ import annotations

TITLE_LENGTH = 120


def split_description(description: str) -> tuple[str, str]:
    """A description's first line is the report's title (at most TITLE_LENGTH characters); the rest is its body,
    or the whole description when it is one line."""
    first, _, rest = description.strip().partition("\n")
    return first.strip()[:TITLE_LENGTH], rest.strip() or description.strip()


def join_description(title: str, body: str) -> str:
    """A report as one description that split_description reads back as the same title and body."""
    title, body = title.strip(), body.strip()
    return body if body == title else f"{title}\n\n{body}"
