"""A caller's time budget, passed down a chain of hubs so that each level answers before the one above stops
waiting.

The hub tells every node how long it will wait for it (`simpul-budget`, seconds). A node that is itself a
hub (`simpul node hub` in front of a province's hub) passes what is left down to that hub, which then cuts
its own slow units off in time and answers with the rest, naming the units that did not answer, instead of
being cut off whole by the parent. The header only ever shortens the receiver's own limits, so it is not
signed (like `traceparent`): a forged one could only make an answer partial.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from simpul.asgi.http import HttpMiddleware

HEADER = "simpul-budget"
SLACK = 0.25  # seconds kept for the answer's way back: merging it, encoding it, the network
MAX_BUDGET = 3600.0
BAD_BUDGET = f"{HEADER} must be a number of seconds above 0 and at most {MAX_BUDGET:g}"

_ends: ContextVar[float | None] = ContextVar("simpul_budget_ends", default=None)


def remaining() -> float | None:
    """Seconds until whoever waits for the work of this context stops waiting; None when nobody said."""
    ends = _ends.get()
    return None if ends is None else max(ends - time.monotonic(), 0.0)


def spend_at_most(seconds: float) -> None:
    """From now on, this context's work has at most `seconds` (or what it already had, if less)."""
    left = remaining()
    _ends.set(time.monotonic() + (seconds if left is None else min(seconds, left)))


def budget_header(headers: dict[str, str], slack: float = 0.0) -> None:
    """Tell the next callee what is left of this context's budget, less `slack` for the way back."""
    left = remaining()
    if left is not None:
        headers[HEADER] = f"{max(left - slack, 0.001):.3f}"


class Budgets(HttpMiddleware):
    """ASGI middleware: an HTTP request that names its budget has it as this context's (see `remaining`)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Headers(scope=scope).get(HEADER)
        if given is None:
            await self.app(scope, receive, send)
            return
        try:
            seconds = float(given)
        except ValueError:
            seconds = math.nan
        if not 0 < seconds <= MAX_BUDGET:  # also refuses nan and inf
            await JSONResponse({"errors": [{"message": BAD_BUDGET, "extensions": {"code": "BAD_REQUEST"}}]},
                               status_code=400)(scope, receive, send)
            return
        token = _ends.set(time.monotonic() + seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            _ends.reset(token)
