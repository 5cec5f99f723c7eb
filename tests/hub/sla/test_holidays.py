"""Holiday files: every line checked, the whole file refused at the first bad one."""

from __future__ import annotations

from datetime import date

import pytest

from hub.sla.holidays import parse_holiday_csv
from simpul.errors import InvalidInput


def test_a_holiday_file_is_refused_whole_at_its_first_bad_line() -> None:
    good = "date,name\n2020-01-01,Tahun Baru\n\n2020-05-24,Idulfitri\n2020-05-24,\"Hari Raya, hari kedua\"\n"
    assert parse_holiday_csv(good, 2020, "libur.csv") == [
        (date(2020, 1, 1), "Tahun Baru"), (date(2020, 5, 24), "Idulfitri; Hari Raya, hari kedua")]
    for text, message in [
        ("2020-01-01,Tahun Baru\n2020-13-01,Bulan ketiga belas\n", "libur.csv line 2: '2020-13-01' is not a date"),
        ("2020-01-01,Tahun Baru\n2021-01-01,Tahun Baru\n", "libur.csv line 2: 2021-01-01 is not in 2020"),
        ("2020-01-01\n", "libur.csv line 1: expected 'date,name', found 1 fields"),
        ("2020-01-01,   \n", "libur.csv line 1: a holiday's name must be 1 to 200 characters"),
        ("20200101,Tahun Baru\n", "libur.csv line 1: '20200101' is not a date"),
        ("\n", "libur.csv lists no holidays for 2020"),
    ]:
        with pytest.raises(InvalidInput) as raised:
            parse_holiday_csv(text, 2020, "libur.csv")
        assert str(raised.value).startswith(message), str(raised.value)
