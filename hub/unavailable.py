"""The hub's HTTP doors during a database outage: 503 with Retry-After, in each door's own error shape, and
no traceback (DatabaseOutage logs the outage once)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.open311.formats import render_errors
from simpul.db.outage import RETRY_AFTER, UNAVAILABLE, DatabaseOutage, is_outage

Handler = Callable[[Request, Exception], Awaitable[Response]]


def outage_handlers(outage: DatabaseOutage) -> Mapping[type[Exception], Handler]:
    """Starlette exception handlers for what a database outage raises out of a route (node endpoints, Open311,
    the dashboard); anything else raised is re-raised, a defect answered 500 as before."""

    async def unavailable(request: Request, exc: Exception) -> Response:
        if not is_outage(exc):
            raise exc
        outage.noted(exc)
        headers = {"retry-after": str(RETRY_AFTER)}
        path = request.url.path
        if path.startswith("/open311/"):
            response = render_errors(503, UNAVAILABLE, "xml" if path.endswith(".xml") else "json")
            response.headers.update(headers)
            return response
        return JSONResponse({"error": UNAVAILABLE}, status_code=503, headers=headers)

    return {OSError: unavailable, asyncpg.PostgresError: unavailable}
