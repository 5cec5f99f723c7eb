"""JSON log lines: one object per record, ids to find a request by, and personal data still masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider

from simpul.logformat import JsonFormatter
from simpul.redaction import install_log_redaction
from tests.federation import run_cli

PHONE = "0812-7700-4411"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the root logger writes, through JSON and the filters `simpul` installs on every handler."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    install_log_redaction()
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _entries(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_its_request_id_and_no_phone_number(lines: io.StringIO) -> None:
    logging.getLogger("simpul.test").warning("reporter %s wrote:\nline two", PHONE)
    [entry] = _entries(lines)
    assert entry["level"] == "WARNING" and entry["logger"] == "simpul.test"
    assert entry["request_id"] == "-" and "trace_id" not in entry
    assert str(entry["time"]).endswith("+00:00")
    assert PHONE not in lines.getvalue() and "81277004411" not in lines.getvalue().replace("-", "")
    assert "[PHONE_1]" in str(entry["message"]) and "\nline two" in str(entry["message"])


def test_an_exception_is_logged_masked_in_its_own_field(lines: io.StringIO) -> None:
    try:
        raise ValueError(f"bad contact {PHONE}")
    except ValueError:
        logging.getLogger("simpul.test").exception("could not send")
    [entry] = _entries(lines)
    assert entry["message"] == "could not send"
    assert "ValueError" in str(entry["exception"]) and PHONE not in str(entry["exception"])


def test_a_record_made_inside_a_span_carries_its_trace_and_span_ids(lines: io.StringIO) -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("simpul.test").warning("inside")
    [entry] = _entries(lines)
    context = span.get_span_context()
    assert entry["trace_id"] == format(context.trace_id, "032x")
    assert entry["span_id"] == format(context.span_id, "016x")



def test_an_unknown_log_format_in_the_environment_is_refused_in_one_line() -> None:
    result = run_cli("migrate", env={"SIMPUL_LOG_FORMAT": "xml"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "simpul: error: SIMPUL_LOG_FORMAT must be one of text, json, not 'xml' (see --help)"]
