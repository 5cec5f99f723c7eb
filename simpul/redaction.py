"""Personal data never reaches a log: each record's final text is masked with lokal-id's Samaran.

Reporters' names, phone numbers, NIK and e-mail addresses pass through every
desk and hub; a careless log call, or an exception quoting a value, must not
copy them into log files that outlive the report (UU PDP). Masking uses
placeholders ("[PHONE_1]"), which keep no digit of the original.
"""

from __future__ import annotations

import logging

from lokal.samaran import mask_pii

from simpul.requestid import RequestIdFilter

UNFORMATTABLE = "{msg} (log arguments that do not fit the message: {args!r})"

_formatter = logging.Formatter()


def _mask(text: str) -> str:
    return mask_pii(text, mode="placeholder").text


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
