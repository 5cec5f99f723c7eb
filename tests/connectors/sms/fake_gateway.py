"""A fake SMS gateway's send API, run as a real HTTP process: `python -m tests.connectors.sms.fake_gateway`.

It speaks what Indonesian HTTP SMS gateways commonly offer (Zenziva-style):
`POST /api/sendsms` with form or JSON fields `to` and `message`, a bearer
token, and a JSON answer `{"status": "1", "text": "Success", "messageId": n}`;
errors answer `{"status": "0", "text": ...}` with an HTTP error status.
For tests it also shows what it sent (`GET /outbox`) and can be told to fail
the next n sends (`POST /outage` with the number of requests and a mode: down, refuse, garbage).
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from aiohttp import web

from tests.connectors.fake_serving import serve_forever


class Gateway:
    def __init__(self, token: str) -> None:
        self.token = token
        self.outbox: list[dict[str, str]] = []
        self.failures = 0
        self.failure = "down"  # down: HTTP 503; refuse: 200 with status 0; garbage: 200 with an HTML page

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes([web.post("/api/sendsms", self.send), web.get("/outbox", self.show),
                        web.post("/outage", self.outage)])
        return app

    async def send(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"status": "0", "text": "Invalid token"}, status=401)
        if self.failures:
            self.failures -= 1
            if self.failure == "refuse":
                return web.json_response({"status": "0", "text": "Saldo tidak mencukupi"})
            if self.failure == "garbage":
                return web.Response(text="<html>502 Bad Gateway</html>", content_type="text/html")
            return web.json_response({"status": "0", "text": "Service temporarily unavailable"}, status=503)
        data: Any = await request.json() if request.content_type == "application/json" else await request.post()
        to, message = data.get("to"), data.get("message")
        if not to or not message:
            return web.json_response({"status": "0", "text": "to and message are required"}, status=400)
        self.outbox.append({"to": str(to), "message": str(message)})
        return web.json_response({"status": "1", "text": "Success", "messageId": len(self.outbox)})

    async def show(self, request: web.Request) -> web.Response:
        return web.json_response(self.outbox)

    async def outage(self, request: web.Request) -> web.Response:
        asked = await request.json()
        self.failures, self.failure = int(asked["requests"]), asked.get("mode", "down")
        return web.json_response({"failing": self.failures})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    asyncio.run(serve_forever(Gateway(parser.parse_args().token).app(), "127.0.0.1", 0,
                              "fake gateway listening on {url}"))
