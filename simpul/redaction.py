"""Personal data never reaches a log: each record's final text is masked with lokal-id's Samaran.

Reporters' names, phone numbers, NIK and e-mail addresses pass through every
desk and hub; a careless log call, or an exception quoting a value, must not
copy them into log files that outlive the report (UU PDP). Masking uses
placeholders ("[PHONE_1]"), which keep no digit of the original.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from lokal.samaran import mask_pii

from simpul.asgi.requestid import RequestIdFilter

UNFORMATTABLE = "{msg} (log arguments that do not fit the message: {args!r})"
KNOWN = "[REPORTER]"  # where redact() took out a value it was told of
MIN_DIGITS = 6  # a contact's digit run this long is searched for in any formatting

_formatter = logging.Formatter()


def _mask(text: str) -> str:
    return mask_pii(text, mode="placeholder").text


def _known_pattern(value: str) -> str:
    """`value` as a pattern: a phone's digits with any separators (and without its 0/62 prefix), else the text."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= MIN_DIGITS:
        national = digits.removeprefix("62").removeprefix("0")
        return r"(?:(?:\+?62|0)\D{0,2})?" + r"\D{0,3}".join(national)
    return re.escape(value.strip())


def redact(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` (a node's or agency's error, say) with the values in `known` (the reporter a call carried) taken
    out wherever they appear, then any other personal data masked as in logs."""
    patterns = sorted((_known_pattern(v) for v in known if v and v.strip()), key=len, reverse=True)
    if patterns:
        text = re.sub("|".join(patterns), KNOWN, text, flags=re.IGNORECASE)
    return _mask(text)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # logging would report the broken call with its raw arguments: mask them too
        return UNFORMATTABLE.format(msg=record.msg, args=record.args)


class RedactPii(logging.Filter):
    """Rewrites a record's message (arguments merged in), exception text and stack with personal data masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _mask(_message(record))
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _mask(record.exc_text)
        if record.stack_info:
            record.stack_info = _mask(record.stack_info)
        return True


def install_log_redaction() -> None:
    """Attach RedactPii and RequestIdFilter to every handler of the root logger, once each."""
    for handler in logging.getLogger().handlers:
        for kind in (RequestIdFilter, RedactPii):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())
