"""Request JSON for GraphQL over HTTP, refused with a 400 where strawberry would fail with a 500."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from strawberry.asgi import GraphQL

NOT_A_REQUEST = "a GraphQL request is a JSON object (a list is a batch)"


class StrictJsonGraphQL(GraphQL[Any, None]):
    """strawberry's ASGI GraphQL app, answering 400 to a body (or query-string variables) that is not UTF-8,
    nests deeper than the parser goes, or is JSON but neither an object nor a list."""

    def decode_json(self, data: str | bytes) -> object:
        try:
            parsed = json.loads(data)
        except (UnicodeDecodeError, RecursionError):
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(parsed, dict | list):
            raise HTTPException(400, NOT_A_REQUEST)
        return parsed
