"""No personal data in a log line: phones, NIK and e-mails are masked wherever they sit in a record."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from simpul.asgi.requestid import RequestIdFilter
from simpul.redaction import RedactPii, install_log_redaction

PHONE = "0812-3456-7890"
PHONE_E164 = "+6281234567890"
NIK = "3201011508950001"
EMAIL = "siti.rahayu88@gmail.com"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger whose handler masks with RedactPii and writes formatted lines to a string."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactPii())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)
        logger.propagate = True


def test_a_phone_in_the_message_is_masked(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = written
    logger.warning(f"reporter asked to be called back on {PHONE} or {PHONE_E164}")
    line = out.getvalue()
    assert PHONE not in line and PHONE_E164 not in line and "3456" not in line
    assert line.startswith("reporter asked to be called back on [PHONE_1] or [PHONE_1]")


def test_nik_and_email_in_arguments_are_masked(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = written
    logger.warning("duplicate report from NIK %s (%s), phone %s", NIK, EMAIL, PHONE_E164)
    line = out.getvalue()
    assert NIK not in line and EMAIL not in line and "81234567890" not in line
    assert "[NIK_1]" in line and "[EMAIL_1]" in line and "[PHONE_1]" in line


def test_a_masked_record_keeps_no_arguments_to_format_again(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _ = written
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "contact %s", (EMAIL,), None)
    RedactPii().filter(record)
    assert record.args is None
    assert record.getMessage() == "contact [EMAIL_1]"


def test_ordinary_operational_text_is_left_alone(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = written
    lines = [
        "enrolled with hub http://127.0.0.1:8000 as 64.08",
        "delivery 64.08:17 to 64 failed (attempt 3): ClientConnectorError",
        "report 63.DINKES-000012 moved to IN_PROCESS; pull of node 64 returned 12 changes after cursor 1045",
        "Jalan berlubang di depan sekolah, sudah 3 bulan",
    ]
    for line in lines:
        logger.warning("%s", line)
    assert out.getvalue().splitlines() == lines


def test_exception_text_is_masked(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = written
    try:
        raise ValueError(f"no reporter with contact {EMAIL}")
    except ValueError:
        logger.exception("lookup failed")
    assert EMAIL not in out.getvalue()
    assert "ValueError: no reporter with contact [EMAIL_1]" in out.getvalue()


def test_a_broken_log_call_does_not_leak_its_arguments(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = written
    logger.warning("reporter %s %s", PHONE)  # one argument short
    assert PHONE not in out.getvalue()
    assert "[PHONE_1]" in out.getvalue()


def test_installing_twice_attaches_each_filter_once(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("[%(request_id)s] %(message)s"))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [handler])
    install_log_redaction()
    install_log_redaction()
    assert sorted(type(f).__name__ for f in handler.filters) == ["RedactPii", "RequestIdFilter"]
    assert all(isinstance(f, RedactPii | RequestIdFilter) for f in handler.filters)
    logging.getLogger("tests.redaction.root").warning("call %s", PHONE)
    assert out.getvalue() == "[-] call [PHONE_1]\n"
