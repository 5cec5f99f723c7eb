"""`BALAS <nomor> <teks>`: the reporter answers the unit's tanggapan by SMS to the door's number, which reopens
the report; only the number that reported may reply, once per gateway message."""

from __future__ import annotations

import aiohttp
import pytest

from connectors.sms.keywords import KeywordTable
from connectors.sms.parser import Problem, ReplyMessage, Unreadable, parse
from tests.connectors.sms.conftest import SmsChannel
from tests.federation import node_graphql

TABLE = KeywordTable({})
REPORT = "query One($id: ID!) { report(id: $id) { status timeline { status actor note } } }"


@pytest.mark.parametrize(("sms", "number", "text"), [
    ("BALAS 65.SMS-AB12-CD34-EF56 Jalan masih rusak", "65.SMS-AB12-CD34-EF56", "Jalan masih rusak"),
    ("balas 65.sms-ab12-cd34-ef56: belum ada perbaikan", "65.SMS-AB12-CD34-EF56", "belum ada perbaikan"),
    ("Balas:65.SMS-AB12-CD34-EF56   masih\nbanjir", "65.SMS-AB12-CD34-EF56", "masih\nbanjir"),
])
def test_a_reply_names_its_report_and_says_something(sms: str, number: str, text: str) -> None:
    assert parse(sms, TABLE, 480) == ReplyMessage(number, text)


@pytest.mark.parametrize(("sms", "problem"), [
    ("BALAS", Problem.REPLY_NO_NUMBER),
    ("BALAS !!! jalan rusak", Problem.REPLY_NO_NUMBER),
    ("BALAS 65.SMS-AB12-CD34-EF56", Problem.REPLY_EMPTY),
    ("BALAS 65.SMS-AB12-CD34-EF56 " + "x" * 481, Problem.TOO_LONG),
])
def test_unreadable_replies_say_why(sms: str, problem: Problem) -> None:
    assert parse(sms, TABLE, 480) == Unreadable(problem)


async def test_a_reply_by_sms_reopens_the_answered_report(sms_channel: SmsChannel,
                                                         session: aiohttp.ClientSession) -> None:
    _, created = await sms_channel.deliver(session, "081234500011", "LAPORKALTARA Drainase tersumbat di Tarakan")
    tracking = created["trackingNumber"]
    _, early = await sms_channel.deliver(session, "081234500011", f"BALAS {tracking} kapan dikerjakan?")
    assert early["reply"] == (f"Laporan {tracking} belum mendapat tanggapan (diterima, menunggu verifikasi)."
                              f" Balasan dapat dikirim setelah unit menanggapi. Cek status: CEK {tracking}.")

    local_id = await sms_channel.answer(tracking, "dpupr", "Saluran sudah dibersihkan.")

    _, theirs = await sms_channel.deliver(session, "081299900011", f"BALAS {tracking} belum bersih")
    assert "tidak ditemukan" in theirs["reply"]
    for _ in range(2):  # the gateway delivering the same message twice
        _, mine = await sms_channel.deliver(session, "081234500011", f"BALAS {tracking} Masih tergenang.",
                                            message_id="balas-0011")
        assert mine["reply"] == (f"Balasan Anda untuk laporan {tracking} diterima. Laporan dibuka kembali dan akan"
                                 f" ditindaklanjuti. Cek status: CEK {tracking} ke 1708.")

    found = (await node_graphql(session, sms_channel.node, REPORT, {"id": f"65.sms:{local_id}"}))["data"]["report"]
    assert found["status"] == "IN_PROCESS"
    assert [e for e in found["timeline"] if e["actor"] == "pelapor"] == [
        {"status": "IN_PROCESS", "actor": "pelapor", "note": "Masih tergenang."}]
