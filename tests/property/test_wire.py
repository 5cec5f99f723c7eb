"""Codes from outside: a region or node code is exactly the documented shape, or refused with InvalidInput."""

from __future__ import annotations

import re

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


@given(_near(region_codes))
def test_a_region_code_is_the_dotted_kemendagri_form_or_refused(code: str) -> None:
    if re.fullmatch(REGION, code):
        assert check_region_code(code) == code
    else:
        with pytest.raises(InvalidInput, match="invalid region code"):
            check_region_code(code)


@given(_near(node_codes))
def test_a_node_code_is_lower_case_letters_digits_and_dots_or_refused(code: str) -> None:
    if re.fullmatch(NODE_CODE, code):
        assert check_node_code(code) == code
    else:
        with pytest.raises(InvalidInput, match="invalid node code"):
            check_node_code(code)
