"""connectors/forms.py: a door's POST body, as JSON object or HTML form, and the refusal of anything else."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.requests import Request

from connectors.forms import posted_fields


def _request(body: bytes, content_type: str) -> Request:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    headers = [(b"content-type", content_type.encode())]
    return Request({"type": "http", "method": "POST", "path": "/reports", "headers": headers}, receive)


class Refused(Exception):
    pass


async def test_a_json_object_and_a_form_read_the_same() -> None:
    as_json = await posted_fields(_request(b'{"title": "Jalan rusak", "anonymous": true}', "application/json"), Refused)
    as_form = await posted_fields(_request(b"title=Jalan+rusak&anonymous=true", "application/x-www-form-urlencoded"),
                                  Refused)
    assert as_json == {"title": "Jalan rusak", "anonymous": True}
    assert as_form == {"title": "Jalan rusak", "anonymous": "true"}


@pytest.mark.parametrize(("body", "reason"), [(b"{title:", "body is not valid JSON"),
                                              (b'["Jalan rusak"]', "body must be a JSON object")])
async def test_json_that_is_not_an_object_is_refused_by_the_doors_own_error(body: bytes, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        await posted_fields(_request(body, "application/json; charset=utf-8"), Refused)
