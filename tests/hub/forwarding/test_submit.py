"""hub/forwarding/submit.py: what a tracking number tells the public of a report's chain."""

from __future__ import annotations

from datetime import UTC, datetime

from hub.forwarding.submit import Track, TrackEvent

AT = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
EVENTS = [
    TrackEvent(AT, "RECEIVED", "65", None, "diterima di meja Kaltara"),
    TrackEvent(AT, "ROUTED", "64.08", None, "aturan 3: kesehatan di 64.08"),
    TrackEvent(AT, "STATUS", "64.08", "VERIFIED", "catatan internal petugas"),
    TrackEvent(AT, "STATUS", "64.08", "ON_HOLD", "menunggu jadwal puskesmas"),
    TrackEvent(AT, "STATUS", "64.08", "COMPLETED", "jam layanan dikembalikan sampai 14.00"),
]


def _track(confidential: bool) -> Track:
    return Track(tracking_number="LPR-7K3M9Q2X", kind="PENGADUAN", status="COMPLETED", routing="HELD",
                 received_at=AT, holder="64.08", events=EVENTS, region_code="64.08.04", confidential=confidential)


def test_the_public_reads_only_the_units_answers_to_the_reporter() -> None:
    published = _track(confidential=False).published()
    assert [e.note for e in published.events] == [None, None, None, "menunggu jadwal puskesmas",
                                                  "jam layanan dikembalikan sampai 14.00"]
    assert published.holder == "64.08" and [e.node for e in published.events] == [e.node for e in EVENTS]


def test_of_a_rahasia_report_the_public_reads_where_it_stands_only() -> None:
    published = _track(confidential=True).published()
    assert published.holder is None
    assert all(e.node is None and e.note is None for e in published.events)
    assert [(e.type, e.status) for e in published.events] == [(e.type, e.status) for e in EVENTS]
    assert published.status == "COMPLETED"


def test_the_whole_chain_is_untouched() -> None:
    track = _track(confidential=True)
    assert track.published() != track and track.events == EVENTS and track.holder == "64.08"
