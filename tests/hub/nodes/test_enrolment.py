"""Enrolment's checks before the database: the body a node sends, the categories a token grants, what it claims."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.nodes.enrolment import EnrolmentRefused, EnrolmentRequest, TokenInfo, _check_grants, check_categories
from simpul.endpoints import node_endpoints
from simpul.errors import InvalidInput
from simpul.signing import public_key_bytes
from simpul.wire import NodeLevel

PUBLIC_KEY = public_key_bytes(Ed25519PrivateKey.generate())
ENDPOINTS = node_endpoints(allow_insecure=False)


def _body(**fields: Any) -> dict[str, Any]:
    body = {"token": "enr_abc", "code": "64.08", "name": " Pemkab Kutai Timur ", "level": "KABKOTA",
            "region_code": "64.08", "parent_code": "64", "categories": [" kesehatan ", "", "jalan"], "kind": "desk",
            "endpoint": "https://lapor.kutaitimurkab.go.id/", "public_key": PUBLIC_KEY.hex()}
    return {**body, **fields}


def test_a_good_body_is_read_trimmed_with_its_endpoint_and_key() -> None:
    request = EnrolmentRequest.from_json(_body(), ENDPOINTS)
    assert (request.code, request.name, request.level, request.region_code, request.parent_code) == (
        "64.08", "Pemkab Kutai Timur", NodeLevel.KABKOTA, "64.08", "64")
    assert request.categories == ("kesehatan", "jalan")
    assert request.endpoint == "https://lapor.kutaitimurkab.go.id"
    assert request.public_key == PUBLIC_KEY
    assert EnrolmentRequest.from_json(_body(parent_code=None), ENDPOINTS).parent_code is None


@pytest.mark.parametrize(("change", "message"), [
    ({"level": "KECAMATAN"}, "level must be one of"),
    ({"level": "PROVINSI"}, "a PROVINSI node needs a province code like 64"),
    ({"region_code": "99.99"}, "region 99.99 is not in the Kemendagri region tree"),
    ({"region_code": None}, "region_code is required"),
    ({"code": "Kutim Timur"}, "invalid node code 'Kutim Timur'"),
    ({"name": "  "}, "name is required"),
    ({"name": "x" * 201}, "name must be at most 200 characters"),
    ({"kind": "desk\x00"}, "kind must not contain NUL characters"),
    ({"categories": "kesehatan"}, "categories must be a list of strings"),
    ({"categories": ["kese\x00hatan"]}, "categories must not contain NUL characters"),
    ({"endpoint": "http://lapor.kutaitimurkab.go.id"}, "endpoint"),
    ({"public_key": "00" * 31}, "public_key must be an Ed25519 public key"),
])
def test_a_bad_body_is_refused_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        EnrolmentRequest.from_json(_body(**change), ENDPOINTS)


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidInput, match="enrolment body must be a JSON object"):
        EnrolmentRequest.from_json([_body()], ENDPOINTS)


def test_a_tokens_categories_are_trimmed_once_each_in_order_and_bad_ones_refused() -> None:
    assert check_categories([" kesehatan", "jalan ", "kesehatan"]) == ("kesehatan", "jalan")
    assert check_categories([]) == ()
    for bad in (" ", "x" * 101, "a\x00b"):
        with pytest.raises(InvalidInput, match="a category is 1 to 100 characters without NUL"):
            check_categories(["jalan", bad])


def test_a_node_claims_no_level_or_category_beyond_what_its_token_grants() -> None:
    request = EnrolmentRequest.from_json(_body(), ENDPOINTS)
    _check_grants(request, {"categories": ["jalan", "kesehatan", "gizi"], "level": "KABKOTA"})
    _check_grants(request, {"categories": ["jalan", "kesehatan"], "level": None})
    with pytest.raises(EnrolmentRefused, match="enrolment token is for a PROVINSI node, not KABKOTA"):
        _check_grants(request, {"categories": ["jalan", "kesehatan"], "level": "PROVINSI"})
    with pytest.raises(EnrolmentRefused, match=r"does not grant category kesehatan \(it grants jalan\)"):
        _check_grants(request, {"categories": ["jalan"], "level": None})
    with pytest.raises(EnrolmentRefused, match=r"does not grant categories kesehatan, jalan \(it grants none\)"):
        _check_grants(request, {"categories": [], "level": None})


def test_a_token_is_listed_as_used_withdrawn_expired_or_open() -> None:
    now = datetime.now(UTC)
    token = TokenInfo(id="a1b2c3d4e5f6", region_code="64", node_code=None, note=None, created_at=now,
                      expires_at=now + timedelta(days=1), used_at=None, used_by=None, withdrawn_at=None)
    assert token.state == "open"
    assert replace(token, expires_at=now - timedelta(seconds=1)).state == "expired"
    assert replace(token, withdrawn_at=now).state == "withdrawn"
    assert replace(token, used_at=now, used_by="64.08", withdrawn_at=now).state == (
        "used by 64.08")
