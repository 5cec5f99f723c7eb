"""GET /readyz: 200 while this hub process can do its work, else 503 with the checks that failed.

/healthz says only that the process answers. /readyz also asks PostgreSQL
(`SELECT 1`, within a second) and looks at every background job: a delivery
worker or feed puller that ended means reports would wait unseen.

PostgreSQL is asked on a connection of the check's own, not one borrowed
from the hub's pool: under load every pooled connection is busy, and a
probe waiting for one would take a working hub out of the Service; with
every replica equally loaded, that would take them all out at once.
"""

from __future__ import annotations

import asyncio

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hub.jobs import Jobs
from simpul.db.pool import DATABASE_ERRORS

TIMEOUT = 1.0  # seconds PostgreSQL has to answer


class Readiness:
    """The /readyz route: the database check, then one check per background job name."""

    def __init__(self, database_url: str, jobs: Jobs) -> None:
        self.database_url = database_url
        self.jobs = jobs
        self._conn: asyncpg.Connection | None = None
        self._asking = asyncio.Lock()  # probes take turns on the one connection

    async def respond(self, request: Request) -> Response:
        checks = {"database": await self._database(), **self._jobs()}
        ready = all(check["ok"] for check in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    async def _database(self) -> dict[str, object]:
        try:
            await asyncio.wait_for(self._select_one(), TIMEOUT)
        except DATABASE_ERRORS as exc:
            return {"ok": False, "error": f"database does not answer: {exc.__class__.__name__}"}
        return {"ok": True}

    async def _select_one(self) -> None:
        async with self._asking:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self.database_url)
            try:
                await self._conn.fetchval("SELECT 1")
            except BaseException:  # an error or the timeout's cancellation: the next probe connects afresh
                self._conn.terminate()
                self._conn = None
                raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def _jobs(self) -> dict[str, dict[str, object]]:
        running = self.jobs.running()
        if not running:
            return {"jobs": {"ok": False, "error": "background jobs not started yet"}}
        checks: dict[str, dict[str, object]] = {}
        for name, (alive, started) in running.items():
            checks[name] = {"ok": alive == started, "running": alive, "started": started}
            if alive < started:
                checks[name]["error"] = f"{started - alive} of {started} stopped; see the hub's log"
        return checks
