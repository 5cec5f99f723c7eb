"""What a door's POST says: a JSON object or an HTML form, read the same way by the desk's web face and the SMS
gateway's webhook."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.requests import Request


async def posted_fields(request: Request, refused: Callable[[str], Exception]) -> dict[str, Any]:
    """The fields of a JSON object body, or of a form (its text fields); a body that claims JSON and is not a JSON
    object raises `refused(reason)`."""
    body = await request.body()
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise refused("body is not valid JSON") from None
        if not isinstance(data, dict):
            raise refused("body must be a JSON object")
        return data
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}
