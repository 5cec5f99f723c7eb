"""The 1708 channel end to end: a gateway delivers SMS to `simpul node sms`, replies go out through the gateway."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest

from simpul.tracking import is_federation_number
from tests.connectors.sms.conftest import SmsChannel
from tests.databases import connection
from tests.federation import eventually, graphql, node_graphql

REPORT = """
query One($id: ID!) {
  report(id: $id) { id trackingNumber kind status channel regionCode category title body
    reporter { anonymous confidential name contact } }
}
"""


async def _replies_to(channel: SmsChannel, session: aiohttp.ClientSession, number: str) -> list[str]:
    return [m["message"] for m in await channel.gateway.outbox(session) if m["to"] == number]


async def _sms_reports(channel: SmsChannel, session: aiohttp.ClientSession) -> list[dict[str, str]]:
    body = await node_graphql(session, channel.node, "{ reports(first: 500) { reports { id trackingNumber body } } }")
    reports: list[dict[str, str]] = body["data"]["reports"]["reports"]
    return reports


async def test_a_report_by_sms_gets_a_tracking_number_by_sms(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    status, answer = await sms_channel.deliver(session, "081234500001", "LAPORKALTARA Jalan rusak di Tanjung Selor")
    assert status == 200, answer
    tracking = answer["trackingNumber"]
    assert is_federation_number(tracking, "65.sms"), f"the node's code, then 60 random bits: {tracking}"

    replies = await _replies_to(sms_channel, session, "081234500001")
    assert len(replies) == 1 and tracking in replies[0] and "Kalimantan Utara" in replies[0]

    # The next report's number tells nothing of this one's: no counter to step back from.
    status, following = await sms_channel.deliver(session, "081234500009", "LAPORKALTARA Trotoar rusak di Jl. Agatis")
    assert status == 200, following
    assert is_federation_number(following["trackingNumber"], "65.sms")
    assert following["trackingNumber"][:-5] != tracking[:-5], (tracking, following["trackingNumber"])

    report_id = next(r["id"] for r in await _sms_reports(sms_channel, session) if r["trackingNumber"] == tracking)
    report = (await node_graphql(session, sms_channel.node, REPORT, {"id": report_id}))["data"]["report"]
    assert report["channel"] == "SMS" and report["regionCode"] == "65" and report["kind"] == "PENGADUAN"
    assert report["category"] == "umum" and report["body"] == "Jalan rusak di Tanjung Selor"
    assert report["reporter"] == {"anonymous": False, "confidential": True, "name": None, "contact": None}, \
        "the number is kept for the handling unit only"

    conn = await asyncpg.connect(sms_channel.database_url)
    try:
        stored = await conn.fetchval("SELECT reporter_contact FROM sms_65_sms.reports WHERE tracking_number = $1",
                                     tracking)
    finally:
        await conn.close()
    assert stored == "+6281234500001", "stored normalised"
    assert "81234500001" not in sms_channel.node.process.output, "the number never reaches the log"


async def test_a_json_delivery_and_an_aspiration(sms_channel: SmsChannel, session: aiohttp.ClientSession) -> None:
    status, answer = await sms_channel.deliver(session, "+62 812-3450-0002", "lapor kaltim ASPIRASI tambah bus kota",
                                               as_json=True)
    assert status == 200 and answer["trackingNumber"]
    assert answer["reply"].startswith("Aspirasi Anda untuk Kalimantan Timur diterima")
    assert (await _replies_to(sms_channel, session, "+62 812-3450-0002")) == [answer["reply"]]


async def test_a_retried_delivery_creates_one_report_and_one_reply(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    text = "LAPORKALTARA Lampu jalan mati di Jl. Sengkawit"
    first = await sms_channel.deliver(session, "081234500003", text, message_id="gw-retry-1")
    again = await sms_channel.deliver(session, "081234500003", text, message_id="gw-retry-1")
    assert first[0] == again[0] == 200
    assert again[1] == {**first[1], "duplicate": True}
    assert [r["body"] for r in await _sms_reports(sms_channel, session)].count("Lampu jalan mati di Jl. Sengkawit") == 1
    assert len(await _replies_to(sms_channel, session, "081234500003")) == 1


async def test_cek_answers_the_reporter_only(sms_channel: SmsChannel, session: aiohttp.ClientSession) -> None:
    _, created = await sms_channel.deliver(session, "081234500004", "LAPORKALTARA Puskesmas tutup siang hari")
    tracking = created["trackingNumber"]

    _, mine = await sms_channel.deliver(session, "081234500004", f"cek {tracking.lower()}")
    assert mine["reply"] == f"Laporan {tracking}: diterima, menunggu verifikasi."
    _, theirs = await sms_channel.deliver(session, "081299900009", f"CEK {tracking}")
    assert "tidak ditemukan" in theirs["reply"] and "Puskesmas" not in theirs["reply"]

    # The handling unit works on the report in the same store; the reporter asks again.
    await sms_channel.answer(tracking, "dinkes", "Jam layanan kembali 08.00-14.00.")
    _, done = await sms_channel.deliver(session, "+6281234500004", f"CEK {tracking}")
    assert done["reply"] == (f"Laporan {tracking}: selesai ditindaklanjuti. Tanggapan: Jam layanan kembali"
                             " 08.00-14.00.")
    assert len(await _replies_to(sms_channel, session, "081234500004")) == 2


async def test_bad_formats_get_a_helpful_reply(sms_channel: SmsChannel, session: aiohttp.ClientSession) -> None:
    cases = {
        "Jalan rusak": "Format SMS tidak dikenali",
        "LAPOR jalan rusak": "Kata kunci wilayah belum ada",
        "LAPORKALTRA jalan rusak": "Maksud Anda LAPORKALTARA?",
        "LAPORKALTARA": "Isi laporan kosong",
        "LAPORKALTARA " + "panjang " * 200: "terlalu panjang (maks. 1000 karakter)",
        "CEK": "Format: CEK (spasi) nomor laporan",
    }
    before = len(await _sms_reports(sms_channel, session))
    for number, (text, expected) in enumerate(cases.items(), start=10):
        status, answer = await sms_channel.deliver(session, f"0812345000{number}", text)
        assert status == 200 and answer["trackingNumber"] is None
        assert expected in answer["reply"], answer["reply"]
        assert await _replies_to(sms_channel, session, f"0812345000{number}") == [answer["reply"]]
    assert len(await _sms_reports(sms_channel, session)) == before


async def test_a_foreign_number_is_told_where_to_report(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    status, answer = await sms_channel.deliver(session, "+12025550100", "LAPORKALTARA Jalan rusak")
    assert status == 200 and answer["trackingNumber"] is None
    assert "nomor seluler Indonesia" in answer["reply"] and "lapor.go.id" in answer["reply"]
    assert await _replies_to(sms_channel, session, "+12025550100") == [answer["reply"]]


async def test_a_wrong_secret_is_refused_and_nothing_is_sent(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    status, answer = await sms_channel.deliver(session, "081234500005", "LAPORKALTARA Jalan rusak", secret="tebakan")
    assert status == 401 and "X-Gateway-Secret" in answer["error"]
    async with session.post(sms_channel.webhook, data={"id": "x", "from": "081234500005", "text": "x"}) as response:
        assert response.status == 401
    assert await _replies_to(sms_channel, session, "081234500005") == []


async def test_a_malformed_delivery_is_a_gateway_error(sms_channel: SmsChannel, session: aiohttp.ClientSession) -> None:
    headers = {"X-Gateway-Secret": "rahasia-gateway-1708"}
    for body, expected in [({"from": "081234500006", "text": "LAPORKALTARA x"}, "field 'id' is missing"),
                           ({"id": "m1", "text": "LAPORKALTARA x"}, "field 'from' is missing"),
                           ({"id": "m2", "from": "081234500006", "text": "x", "received_at": "kemarin"},
                            "field 'received_at' must be an ISO 8601 time")]:
        async with session.post(sms_channel.webhook, data=body, headers=headers) as response:
            assert response.status == 400 and expected in (await response.json())["error"]
    async with session.post(sms_channel.webhook, data=b"[1,", headers={**headers, "content-type": "application/json"}) \
            as response:
        assert response.status == 400 and (await response.json())["error"] == "body is not valid JSON"


@pytest.mark.parametrize(("mode", "error"), [
    ("down", "SMS gateway answered HTTP 503"),
    ("refuse", "SMS gateway refused the reply: {\"status\": \"0\", \"text\": \"Saldo tidak mencukupi\"}"),
    ("garbage", "SMS gateway answered malformed data, not JSON"),
])
async def test_a_gateway_failing_to_send_keeps_the_report_and_the_node_delivers_the_reply_itself(
    sms_channel: SmsChannel, session: aiohttp.ClientSession, mode: str, error: str
) -> None:
    """The message is handled, so the webhook says so (a gateway retrying a failed webhook would only deliver
    it again); the reply the send API refused goes out on the node's own retry, once."""
    number, text = f"08123457{len(mode):04d}", f"LAPORKALTARA Banjir di Malinau ({mode})"
    await sms_channel.gateway.fail_next(session, 1, mode)
    status, answer = await sms_channel.deliver(session, number, text, message_id=f"gw-outage-{mode}")
    assert (status, answer["replySent"]) == (200, False) and error in answer["replyError"]
    assert answer["trackingNumber"], "the report is kept although the reply failed"

    async def replied() -> list[str] | None:  # the node retries every 0.5 s here (reply_retry_seconds)
        return await _replies_to(sms_channel, session, number) or None

    assert await eventually(replied) == [answer["reply"]]
    health = (await node_graphql(session, sms_channel.node, "{ health { ok detail } }"))["data"]["health"]
    assert health == {"ok": True, "detail": "desk database answers"}

    status, again = await sms_channel.deliver(session, number, text, message_id=f"gw-outage-{mode}")
    assert status == 200 and again["duplicate"] and again["trackingNumber"] == answer["trackingNumber"]
    assert await _replies_to(sms_channel, session, number) == [answer["reply"]], "the reply went out once"
    assert [r["body"] for r in await _sms_reports(sms_channel, session)].count(text[13:]) == 1


async def test_the_hub_sees_sms_reports_without_the_number(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    _, created = await sms_channel.deliver(session, "081234500008", "LAPORKALTARA Jembatan Sesayap retak")
    query = ("{ reports(first: 100) { reports { trackingNumber channel regionCode reporter { confidential } }"
             " coverage { asked stale { node } } } stats(groupBy: [STATUS]) { total } }")

    async def indexed() -> dict[str, Any] | None:  # the SMS door pokes the hub, which reads its feed
        body = await graphql(session, sms_channel.hub.graphql_url, query)
        assert "errors" not in body, body
        listed = body["data"]["reports"]["reports"]
        return body if any(r["trackingNumber"] == created["trackingNumber"] for r in listed) else None

    body = await eventually(indexed)
    found = [r for r in body["data"]["reports"]["reports"] if r["trackingNumber"] == created["trackingNumber"]]
    assert found == [{"trackingNumber": created["trackingNumber"], "channel": "SMS", "regionCode": "65",
                      "reporter": {"confidential": True}}]
    assert body["data"]["reports"]["coverage"]["stale"] == []
    assert body["data"]["stats"]["total"] == len(await _sms_reports(sms_channel, session))
    assert "81234500008" not in str(body)


async def test_an_sms_report_is_handled_by_the_regions_desk_never_by_the_door(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    _, sent = await sms_channel.deliver(session, "081234500031", "LAPORKALTARA Guru SD Malinau jarang masuk")

    async def handled() -> str | None:  # a rahasia report's track names no unit: the ledger does
        async with connection(sms_channel.database_url, "hub") as conn:
            holder: str | None = await conn.fetchval("SELECT holder_node FROM ledger WHERE tracking_number = $1"
                                                     " AND routing = 'HELD'", sent["trackingNumber"])
        return holder

    assert await eventually(handled) == "65"


TO_FORWARD = "query R($id: ID!) { reportToForward(id: $id) { kind category body reporter { name contact } } }"
VERIFY = """
mutation V($t: String!, $c: String!) { verifyReport(trackingNumber: $t, edits: {category: $c}) { category } }
"""


async def _at_node(channel: SmsChannel, session: aiohttp.ClientSession, tracking: str) -> dict[str, Any]:
    """The SMS report as the hub reads it to forward: with its reporter."""
    report_id = next(r["id"] for r in await _sms_reports(channel, session) if r["trackingNumber"] == tracking)
    found: dict[str, Any] = (await node_graphql(session, channel.node, TO_FORWARD, {"id": report_id}))["data"]
    return found["reportToForward"]


async def test_a_category_word_in_the_message_sets_the_category_and_the_admin_reclassifies_the_rest(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    _, teacher = await sms_channel.deliver(session, "081234500021", "LAPORKALTARA Guru honorer belum digaji 3 bulan")
    _, both = await sms_channel.deliver(session, "081234500022", "LAPORKALTARA Puskesmas di samping sekolah tutup")
    _, neither = await sms_channel.deliver(session, "081234500023", "LAPORKALTARA Lampu jalan padam")

    assert (await _at_node(sms_channel, session, teacher["trackingNumber"]))["category"] == "pendidikan"
    assert (await _at_node(sms_channel, session, both["trackingNumber"]))["category"] == "umum", "two categories"
    assert (await _at_node(sms_channel, session, neither["trackingNumber"]))["category"] == "umum"

    # "umum" is not forever: the admin reclassifies it at verification, and the SMS node's store follows.
    async def verified() -> dict[str, Any] | None:
        body = await graphql(session, sms_channel.hub.graphql_url, VERIFY,
                             {"t": both["trackingNumber"], "c": "kesehatan"})
        return None if "no report with tracking number" in str(body.get("errors")) else body
    body = await eventually(verified)
    assert body == {"data": {"verifyReport": {"category": "kesehatan"}}}

    async def reclassified() -> bool:
        return (await _at_node(sms_channel, session, both["trackingNumber"]))["category"] == "kesehatan"
    await eventually(reclassified)


async def test_an_information_request_without_name_and_address_is_told_the_format(
    sms_channel: SmsChannel, session: aiohttp.ClientSession
) -> None:
    before = len(await _sms_reports(sms_channel, session))
    for text in ("LAPORKALTARA INFO jadwal beasiswa 2026", "LAPORKALTARA INFO Budi Santoso#jadwal beasiswa 2026"):
        status, answer = await sms_channel.deliver(session, "081234500031", text)
        assert status == 200 and answer["trackingNumber"] is None
        assert answer["reply"] == (
            "Permintaan informasi wajib menyebut nama dan alamat pemohon (UU 14/2008). Format: LAPORKALTARA INFO"
            " nama#alamat#informasi yang diminta, mis. LAPORKALTARA INFO Budi Santoso#Jl. Merdeka 5#Salinan"
            " anggaran dinas 2024. Kirim ke 1708.")
    assert len(await _sms_reports(sms_channel, session)) == before

    _, asked = await sms_channel.deliver(
        session, "081234500031", "LAPORKALTARA INFO Budi Santoso # Jl. Merdeka 5, Tarakan # Jadwal beasiswa 2026")
    assert asked["trackingNumber"] is not None and "Permintaan informasi Anda" in asked["reply"]
    report = await _at_node(sms_channel, session, asked["trackingNumber"])
    assert report["kind"] == "INFORMASI" and report["body"] == "Jadwal beasiswa 2026"
    assert report["reporter"] == {"name": "Budi Santoso; alamat: Jl. Merdeka 5, Tarakan", "contact": "+6281234500031"}
