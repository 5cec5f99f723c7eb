"""Codes from outside: a region or node code is exactly the documented shape, or refused with InvalidInput."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simpul.errors import InvalidInput
from simpul.wire import check_node_code, check_region_code

REGION = r"[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?"
NODE_CODE = r"[a-z0-9][a-z0-9._-]{0,63}"

region_codes = st.from_regex(REGION, fullmatch=True)
node_codes = st.from_regex(NODE_CODE, fullmatch=True)


ARABIC_INDIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def _near(codes: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Codes and the hostile near misses of them: a trailing newline, other scripts' digits, any text."""
    return (codes | codes.map(lambda c: c + "\n") | codes.map(lambda c: c.translate(ARABIC_INDIC_DIGITS))
            | st.text(max_size=70))


@pytest.mark.parametrize(("codes", "form", "check", "refusal"), [
    (region_codes, REGION, check_region_code, "invalid region code"),  # the dotted Kemendagri form
    (node_codes, NODE_CODE, check_node_code, "invalid node code"),  # lower-case letters, digits and dots
], ids=["region code", "node code"])
@given(data=st.data())
def test_a_code_is_its_documented_form_or_refused(
    data: st.DataObject, codes: st.SearchStrategy[str], form: str, check: Callable[[str], str], refusal: str
) -> None:
    code = data.draw(_near(codes), label="code")
    if re.fullmatch(form, code):
        assert check(code) == code
    else:
        with pytest.raises(InvalidInput, match=refusal):
            check(code)
