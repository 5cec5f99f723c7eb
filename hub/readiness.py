"""GET /readyz: 200 while this hub process can do its work, else 503 with the checks that failed.

/healthz says only that the process answers. /readyz also asks PostgreSQL
(`SELECT 1`, within a second) and looks at every background job: a delivery
worker or feed puller that ended means reports would wait unseen.
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

    def __init__(self, pool: asyncpg.Pool, jobs: Jobs) -> None:
        self.pool = pool
        self.jobs = jobs

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
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")

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
