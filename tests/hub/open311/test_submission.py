"""A POST requests form as the hub's report and reporter: what a client sends is what the unit gets, or a clear 400."""

from __future__ import annotations

import pytest

from hub.open311.submission import coordinates_in, location_of, submission_of
from simpul.errors import InvalidInput
from simpul.open311 import join_description, split_description
from simpul.wire import Channel, ReportKind

FORM = {"service_code": "kesehatan", "description": "Puskesmas tutup siang\nJadwal sampai pukul 14.00.",
        "lat": "-0.5", "long": "117.15", "address_string": "Jl. Yos Sudarso", "api_key": "smp_x"}


def test_a_form_becomes_a_report_in_its_jurisdiction_with_its_place_and_reporter() -> None:
    report, reporter = submission_of({**FORM, "first_name": "Siti", "last_name": "Rahayu", "phone": "0812",
                            "attribute[kind]": "aspirasi", "media_url": "https://foto.example/1.jpg"},
                           "64.08.04", {"kesehatan"})
    assert (report.title, report.category, report.region_code) == ("Puskesmas tutup siang", "kesehatan", "64.08.04")
    assert report.body == "Jadwal sampai pukul 14.00.\n\nLampiran: https://foto.example/1.jpg"
    assert (report.kind, report.channel) == (ReportKind.ASPIRASI, Channel.API)
    assert (reporter.name, reporter.contact) == ("Siti Rahayu", "0812")
    assert report.location == "Jl. Yos Sudarso (-0.5,117.15)"
    assert coordinates_in(report.location) == (-0.5, 117.15)
    assert not reporter.anonymous and not reporter.confidential


@pytest.mark.parametrize(("change", "reason"), [
    ({"service_code": ""}, "service_code is required"),
    ({"service_code": "sulap"}, "unknown service_code"),
    ({"description": "  "}, "description is required"),
    ({"description": "x" * 4001}, "at most 4000"),
    ({"lat": "", "long": "", "address_string": ""}, "a location is required"),
    ({"long": ""}, "together"),
    ({"lat": "91"}, "between -90 and 90"),
    ({"lat": "nan"}, "between -90 and 90"),
    ({"media_url": "file:///etc/passwd"}, "http(s)"),
    ({"attribute[kind]": "GOSIP"}, "PENGADUAN, ASPIRASI or INFORMASI"),
    ({"attribute[confidential]": "ya"}, "true or false"),
    ({"attribute[colour]": "red"}, "unknown attribute 'colour'"),
    ({"nickname": "si"}, "unknown field 'nickname'"),
])
def test_a_bad_form_is_refused_with_the_reason(change: dict[str, str], reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason.replace("(", r"\(").replace(")", r"\)")):
        submission_of({**FORM, **change}, "64.08", {"kesehatan"})


def test_a_place_and_a_description_read_back_as_they_were_written() -> None:
    assert coordinates_in(location_of(None, 1.25, -3.5)) == (1.25, -3.5)
    assert coordinates_in(location_of("Jl. A, No. 3", None, None)) is None
    for text in ("Satu baris saja", "Judul\n\nIsi laporan\nbaris dua"):
        title, body = split_description(text)
        assert split_description(join_description(title, body)) == (title, body)
