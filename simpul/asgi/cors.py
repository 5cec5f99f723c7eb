"""Browser apps on other origins: CORS for the paths they call.

A province's portal on its own origin calls the hub's GraphQL (and Open311) from the browser. Only origins
named in the hub's settings may: none by default, and never `*` (any website could otherwise have its
visitors' browsers call the hub from their own addresses, and a page inside an intranet read a hub there).
A WebSocket has no CORS: strawberry checks its handshake's `Origin` against the same origins (hub/app.py), so
a page elsewhere opens no subscription.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from simpul.asgi.budget import HEADER as BUDGET_HEADER
from simpul.asgi.requestid import HEADER as REQUEST_ID_HEADER

MAX_AGE = 600  # seconds a browser may keep a preflight's answer


def browser_origin(text: str) -> str:
    """An origin as browsers send it (`https://portal.kaltim.go.id`, a port when not the scheme's own);
    ValueError saying what is wrong otherwise."""
    if text.strip() == "*":
        raise ValueError("'*' is not allowed: name each portal's origin (with '*' any website could have its "
                         "visitors' browsers submit reports, each from their own address, past the per-address "
                         "limit, and a page opened inside an intranet could read a hub on that intranet)")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 -- a bad port raises here
    except ValueError:
        raise ValueError(f"not an origin: {text!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment \
            or "@" in parts.netloc:
        raise ValueError(f"not an origin (scheme://host[:port], no path): {text!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def browser_origins(text: str) -> tuple[str, ...]:
    """Origins separated by commas (a setting's text); empty text is none."""
    return tuple(browser_origin(part.strip()) for part in text.split(",") if part.strip())


class BrowserOrigins:
    """ASGI middleware: CORS on the paths under `prefixes` for `origins`, with `Vary: Origin` on each of their
    answers (a cache keeps one per origin); other paths and WebSockets pass as they are."""

    def __init__(self, app: ASGIApp, origins: Sequence[str], prefixes: Sequence[str]) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.cors = CORSMiddleware(
            app, allow_origins=list(origins), allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", BUDGET_HEADER, "idempotency-key"],
            expose_headers=[REQUEST_ID_HEADER, "retry-after", "www-authenticate", "content-disposition"],
            max_age=MAX_AGE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
