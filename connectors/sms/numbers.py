"""Senders' phone numbers: normalised with lokal-id, and never written to a log in full."""

from __future__ import annotations

import lokal


def normalise(raw: str) -> str | None:
    """The E.164 form (+62...) of an Indonesian number, or None for a foreign or invalid one."""
    try:
        parsed = lokal.parse_phone(raw.strip())
    except (ValueError, TypeError):
        return None
    return parsed.e164 if parsed.valid and parsed.e164 else None


def masked(raw: str) -> str:
    """What a log may say about a number: its last three digits, enough to tell two apart."""
    digits = "".join(c for c in raw if c.isdigit())
    return "***" + digits[-3:] if len(digits) > 6 else "***"
