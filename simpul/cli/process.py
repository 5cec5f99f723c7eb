"""What every `simpul` process does first: log the project's way, and turn SIGTERM into a clean exit."""

from __future__ import annotations

import logging
import sys
from collections.abc import Coroutine
from importlib.metadata import version
from typing import Any, TypeVar

import uvloop

from simpul.logformat import formatter
from simpul.redaction import install_log_redaction

T = TypeVar("T")


def serve_forever(main: Coroutine[Any, Any, T]) -> T:
    """Run a serving process's main coroutine on uvloop: the idle hub's heartbeats cost less CPU than on asyncio's
    own loop; fan-out showed no difference this machine could measure (bench/README.md, issue 18)."""
    logging.getLogger("simpul").debug("event loop: uvloop %s", version("uvloop"))
    return uvloop.run(main)


def terminate(signum: int, frame: object) -> None:
    """SIGTERM as an exception, so that `finally` blocks (pools, embedded PostgreSQL) run."""
    raise SystemExit(128 + signum)


def configure_logging(level: str, log_format: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler])
    install_log_redaction()
