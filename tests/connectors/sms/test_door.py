"""Pieces of the door that need no database: titles and numbers."""

from __future__ import annotations

import pytest

from connectors.sms.door import title_of
from connectors.sms.numbers import masked, normalise


@pytest.mark.parametrize(("text", "title"), [
    ("Jalan rusak", "Jalan rusak"),
    ("Jalan   rusak\ndi depan  SDN 1", "Jalan rusak di depan SDN 1"),
    ("Jalan poros Tanjung Selor ke Tanjung Redeb rusak berat sejak bulan lalu dan belum diperbaiki",
     "Jalan poros Tanjung Selor ke Tanjung Redeb rusak berat sejak…"),
    ("x" * 80, "x" * 60 + "…"),
])
def test_a_title_is_the_start_of_the_text(text: str, title: str) -> None:
    assert title_of(text) == title


@pytest.mark.parametrize(("raw", "e164"), [
    ("081234567890", "+6281234567890"),
    ("6281234567890", "+6281234567890"),
    ("+62 812-3456-7890", "+6281234567890"),
    ("+12025550100", None),
    ("0812", None),
    ("Telkomsel", None),
    ("", None),
])
def test_numbers_are_normalised_or_refused(raw: str, e164: str | None) -> None:
    assert normalise(raw) == e164


def test_a_masked_number_shows_only_its_last_digits() -> None:
    assert masked("+6281234567890") == "***890"
    assert masked("1708") == "***"
