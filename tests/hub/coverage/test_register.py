"""The register's pure parts: governments derived from the region list, and what a declaration must say."""

from __future__ import annotations

from datetime import date

import pytest

from hub.coverage.register import Declaration, UnitKind, governments, known_region
from simpul.errors import InvalidInput


def test_every_province_and_kabupaten_kota_government_is_expected_from_the_region_list() -> None:
    national = governments("")
    kinds = [u.kind for u in national]
    assert kinds.count(UnitKind.PROVINSI) == 38
    assert kinds.count(UnitKind.KABKOTA) == 514
    assert [(u.region_code, u.name) for u in governments("65")] == [
        ("65", "Pemerintah Provinsi Kalimantan Utara"), ("65.01", "Pemerintah Kabupaten Bulungan"),
        ("65.02", "Pemerintah Kabupaten Malinau"), ("65.03", "Pemerintah Kabupaten Nunukan"),
        ("65.04", "Pemerintah Kabupaten Tana Tidung"), ("65.71", "Pemerintah Kota Tarakan")]
    assert [u.region_code for u in governments("64.08")] == ["64.08"]
    assert governments("64.08.01") == []


def test_a_region_outside_the_kemendagri_tree_is_refused_by_name() -> None:
    assert known_region("") == ""
    assert known_region("65") == "65"
    for code, message in [("99", "region 99 is not in the Kemendagri region tree"),
                          ("65.99", "region 65.99 is not in the Kemendagri region tree"),
                          ("kaltara", "invalid region code 'kaltara'")]:
        with pytest.raises(InvalidInput) as raised:
            known_region(code)
        assert str(raised.value).startswith(message)


def _declaration(**changes: object) -> Declaration:
    fields: dict[str, object] = {"name": "  Dinas Kesehatan Provinsi Kalimantan Utara ", "region_code": "65",
                                 "legal_basis": "Perpres 76/2013", "node_code": "65.dinkes",
                                 "sk_number": "188.44/K.123/2019", "sk_date": date(2019, 2, 1)}
    return Declaration(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_declaration_is_trimmed_and_each_missing_or_wrong_field_is_named() -> None:
    assert _declaration().checked(require_sk=True).name == "Dinas Kesehatan Provinsi Kalimantan Utara"
    assert _declaration(sk_number=None, sk_date=None).checked(require_sk=False).sk_number is None
    for changes, require_sk, message in [
        ({"name": "  "}, False, "a declared unit needs its name"),
        ({"legal_basis": ""}, False, "a declared unit needs its legal basis"),
        ({"region_code": "66"}, False, "region 66 is not in the Kemendagri region tree"),
        ({"node_code": "Dinkes Kaltara"}, False, "invalid node code 'Dinkes Kaltara'"),
        ({"sk_date": None}, False, "give the SK number and the SK date together, or neither"),
        ({"sk_number": None, "sk_date": None}, True, "a declared unit needs its SK number"),
        ({"sk_date": None}, True, "a declared unit needs its SK date"),
        ({"name": "x" * 201}, False, "name must be at most 200 characters"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            _declaration(**changes).checked(require_sk)
        assert str(raised.value).startswith(message), (changes, str(raised.value))
