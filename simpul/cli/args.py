"""Building blocks of the `simpul` command line: one-line errors and shared argument types."""

from __future__ import annotations

import argparse
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any, NoReturn


class CommandError(Exception):
    """A user-facing failure: printed as one line, exit status 1."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad flag or a missing setting in one line, and takes flags only spelled out
    (no `--conf` for `--config`: a script's abbreviation must not change meaning when a flag is added)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {value!r}")
    return number


def count(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1 expected, not {value!r}")
    return int(value)


def port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}")
    return int(value)


def year(value: str) -> int:
    if not value.isdigit() or not 1900 <= int(value) <= 2200:
        raise argparse.ArgumentTypeError(f"a year like 2025 expected, not {value!r}")
    return int(value)


DURATION = re.compile(r"^([0-9]+)([smhd])$")


def duration(value: str) -> timedelta:
    match = DURATION.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"duration like 30m, 12h or 7d expected, not {value!r}")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[match[2]]
    return timedelta(**{unit: int(match[1])})


def rate(value: str) -> str:
    """A rate limit like 30/minute or 1000/hour."""
    import limits

    try:
        limits.parse(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a rate like 30/minute or 1000/hour") from None
    return value


def database_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"),
                        help="PostgreSQL URL (env DATABASE_URL); unset: embedded PostgreSQL")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("SIMPUL_DATA_DIR", ".simpul")),
                        help="folder for the embedded PostgreSQL and node state (default .simpul)")


def hub_key_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--hub-key-file", type=Path, default=os.environ.get("SIMPUL_HUB_KEY_FILE") or None,
                        help="the hub's Ed25519 private key, created (0600) when missing; every replica of one hub "
                        "must read the same file (env SIMPUL_HUB_KEY_FILE; default <data-dir>/hub.key)")


def listen_args(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=port, default=default_port,
                        help=f"port to listen on (default {default_port}; 0 picks a free one)")


def tracing_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--otlp-endpoint", default=None,
                        help="send traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (default: "
                             "OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing)")


def pem_file(path: Path | None, flag: str) -> Path | None:
    """`path` when it is a readable PEM file (checked at start, not at the first TLS handshake)."""
    if path is None:
        return None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{flag}: cannot read {path} ({exc.__class__.__name__})") from None
    if "-----BEGIN " not in text:
        raise CommandError(f"{flag}: {path} is not a PEM file")
    return path


def node_call_args(parser: argparse.ArgumentParser) -> None:
    """How the hub calls nodes: over https it can verify, unless a lab says otherwise."""
    parser.add_argument("--allow-insecure-nodes", action="store_true",
                        help="accept and call plain-http node endpoints off loopback (labs only: node traffic "
                             "carries reporters' identities)")
    parser.add_argument("--node-ca-file", type=Path, metavar="PEM",
                        default=os.environ.get("SIMPUL_NODE_CA_FILE") or None,
                        help="CA bundle trusted for nodes' https certificates besides the system's, e.g. a "
                             "government-internal CA (env SIMPUL_NODE_CA_FILE)")


def node_tls_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tls-cert", type=Path, metavar="PEM",
                        help="serve https with this certificate chain (with --tls-key); the default public URL "
                             "becomes https://host:port")
    parser.add_argument("--tls-key", type=Path, metavar="PEM", help="the private key of --tls-cert")
    parser.add_argument("--allow-insecure-hub", action="store_true",
                        help="enrol with and call a plain-http hub off loopback (labs only)")
