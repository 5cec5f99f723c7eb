"""Federation tracking numbers: what a reporter holds to follow a report, so nobody else may guess one.

A number is the issuing unit's code, then 60 bits in Crockford base32 in
three groups of four (`64.08-7KQ2-M9XD-4TFA`): readable over the phone or in
an SMS, with no I, L, O or U to misread. Doors that issue numbers themselves
(the hub, a desk, the SMS door) draw the bits at random; a connector that
serves an agency's own sequential ids derives them with HMAC-SHA256 under a
key only that node keeps, so the same report always gets the same number and
a neighbouring id tells nothing about its number.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_BITS = 60
_GROUPS = 3
_GROUP = 4
_SUFFIX = "-".join([f"[{CROCKFORD}]{{{_GROUP}}}"] * _GROUPS)
KEY_BYTES = 32


def _encode(value: int) -> str:
    chars = [CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(_GROUPS * _GROUP))]
    return "-".join("".join(chars[i:i + _GROUP]) for i in range(0, len(chars), _GROUP))


def new_tracking_number(code: str) -> str:
    """A fresh random number for a report entered at the door of unit `code`."""
    return f"{code.upper()}-{_encode(secrets.randbits(RANDOM_BITS))}"


def derived_tracking_number(code: str, key: bytes, local_id: str) -> str:
    """The number of an agency's report `local_id`: stable for the key, unguessable without it."""
    digest = hmac.new(key, local_id.encode(), hashlib.sha256).digest()
    return f"{code.upper()}-{_encode(int.from_bytes(digest[:8], 'big') >> (64 - RANDOM_BITS))}"


def is_federation_number(number: str, code: str | None = None) -> bool:
    """Whether `number` has the federation's form (issued by unit `code`, when given)."""
    prefix = re.escape(code.upper()) if code is not None else r"[A-Z0-9][A-Z0-9._-]*"
    return re.fullmatch(f"{prefix}-{_SUFFIX}", number) is not None


def new_key() -> bytes:
    """A key for derived numbers; lose it and an agency's reports get new numbers."""
    return secrets.token_bytes(KEY_BYTES)
