"""Dotted field paths (`data.items`, `pelapor.nama`) into an agency's JSON answers."""

from __future__ import annotations

from typing import Any

MISSING: Any = object()


def split(path: str) -> list[str]:
    """The segments of `path`; an empty path means the whole document."""
    return [part for part in path.split(".") if part] if path else []


def get(document: Any, path: str) -> Any:
    """The value at `path`, or MISSING when any step is absent; a digit segment indexes a list."""
    value = document
    for part in split(path):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def put(document: dict[str, Any], path: str, value: Any) -> None:
    """Set `path` in `document`, creating the tables on the way."""
    *parents, last = split(path)
    target = document
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
