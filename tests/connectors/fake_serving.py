"""How a fake agency system runs in its own process: one aiohttp app served until the test ends the process."""

from __future__ import annotations

import asyncio

from aiohttp import web


async def serve_forever(app: web.Application, host: str, port: int, announce: str) -> None:
    """Serve `app` on `host`:`port` (0: any free port); first print `announce`, its `{url}` the address bound,
    the line the test reads before it calls."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(announce.format(url=f"http://{host}:{runner.addresses[0][1]}"), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
