"""`simpul node rest` as a real process beside a real (fake) agency API, enrolled with a real hub, and on the demo
federation as the README says."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import aiohttp

from simpul.processes import ChildProcess
from tests.connectors.nodes import indexed, node_process
from tests.connectors.rest.conftest import EXAMPLE, TOKEN, TOKEN_ENV, FakeAgency
from tests.databases import connection
from tests.demo import running_demo
from tests.federation import Hub, bearer, create_token, eventually, graphql, run_cli, start_desk

QUERY = """
query($live: Boolean! = false) {
  reports(first: 10, scope: {nodeCodes: ["64.08.sipakar"]}, live: $live) {
    reports { id trackingNumber title status category receivedAt }
    coverage { asked answered failed stale { node reason } } }
  stats(groupBy: [STATUS], scope: {nodeCodes: ["64.08.sipakar"]}, live: $live) { total buckets { status count } } }
"""


GRANTED = ("jalan", "kesehatan", "kebersihan")  # what the example agency node claims; its token grants it
SUBMIT = """
mutation($report: SubmitReportInput!) { submitReport(report: $report) { routing { target reason } } }
"""


ROOT = EXAMPLE.parents[2]
INDEX = '{ reports(first: 20) { reports { node title trackingNumber } } }'


def _demo_lines() -> list[str]:
    """The command lines of the README's "Trying it on the demo federation"."""
    section = (EXAMPLE.parent / "README.md").read_text().split("## Trying it on the demo federation\n", 1)[1]
    [block] = re.findall(r"^```sh\n(.*?)^```", section.split("\n## ", 1)[0], re.M | re.S)
    return block.splitlines()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _example(agency: FakeAgency, folder: Path) -> Path:
    """example.toml pointed at the fake agency, as the first node of its region (no parent)."""
    config = folder / "sipakar.toml"
    text = re.sub(r'(?m)^parent = "64.08".*\n', "", EXAMPLE.read_text())
    assert "parent" not in tomllib.loads(text)["node"]
    config.write_text(text.replace("https://sipakar.kutaitimurkab.go.id/api/v1", agency.api_url))
    return config


async def test_the_hub_lists_and_counts_what_the_agency_api_holds(
    agency: FakeAgency, hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    first = await agency.add(judul="Jalan berlubang", isi="Jalan poros Sangatta berlubang.",
                             kategori="infrastruktur-jalan", kode_wilayah="64.08",
                             dibuat_pada="2026-03-02T08:00:00+07:00")
    second = await agency.add(judul="Puskesmas tutup", isi="Puskesmas tutup jam sepuluh.",
                              kategori="kesehatan", kode_wilayah="64.08.04", dibuat_pada="2026-03-03T09:30:00+07:00")
    await agency.set_status(first, "selesai", "Sudah ditambal.")
    config = _example(agency, tmp_path)

    args = ["node", "rest", "--config", str(config), "--hub-url", hub.url, "--data-dir", str(tmp_path),
            "--token", create_token(database, "64.08", categories=GRANTED), "--heartbeat", "0.5", "--port", "0"]
    with node_process("64.08.sipakar", args, env={TOKEN_ENV: TOKEN}) as node:
        body = await indexed(session, hub, QUERY, 2)
        reports = body["data"]["reports"]["reports"]
        assert [(r["id"], r["title"], r["status"], r["category"]) for r in reports] == [
            (f"64.08.sipakar:{second}", "Puskesmas tutup", "RECEIVED", "kesehatan"),
            (f"64.08.sipakar:{first}", "Jalan berlubang", "COMPLETED", "jalan"),
        ]
        assert body["data"]["stats"]["total"] == 2

        # The listing has no notes: the hub takes the officer's note from the report's own history (riwayat).
        await agency.set_status(second, "diproses", "Petugas dijadwalkan datang Senin.")

        async def noted() -> list[tuple[str, str | None]] | None:
            async with connection(database, "hub") as conn:
                rows = await conn.fetch("SELECT e.status, e.note FROM ledger_events e JOIN ledger l USING"
                                        " (tracking_number) WHERE l.origin_id = $1 AND e.type = 'STATUS'",
                                        f"64.08.sipakar:{second}")
            return [(r["status"], r["note"]) for r in rows] or None

        assert await eventually(noted) == [("IN_PROCESS", "Petugas dijadwalkan datang Senin.")]

        await agency.mode("error500")
        body = await graphql(session, hub.graphql_url, QUERY, {"live": True})
        assert {e["extensions"]["node"] for e in body.get("errors", [])} == {"64.08.sipakar"}, body
        # Callers are told the class of the failure; the agency's own words stay in the node's log.
        assert body["errors"][0]["message"] == "node 64.08.sipakar answered HTTP 200 with an error", body
        assert body["data"]["reports"]["coverage"]["failed"] == ["64.08.sipakar"]

        # The index keeps what it read, and names the node it can no longer read, with why.
        async def stale() -> dict[str, Any] | None:
            body = await graphql(session, hub.graphql_url, QUERY)
            assert "errors" not in body, body
            named = body["data"]["reports"]["coverage"]["stale"]  # once the hub's next pull meets the failure
            return body["data"] if any("with an error" in n["reason"] for n in named) else None

        kept = await eventually(stale)
        assert len(kept["reports"]["reports"]) == 2 and kept["stats"]["total"] == 2
        [named] = kept["reports"]["coverage"]["stale"]
        assert named["node"] == "64.08.sipakar" and "with an error" in named["reason"], named
        assert node.running


async def test_a_unit_joining_with_a_category_another_unit_of_its_region_claims_is_warned_of(
    agency: FakeAgency, hub: Hub, database: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    """Dinas PUPR's desk already takes Kutai Timur's jalan reports; SIPAKAR joins claiming jalan too. The hub's
    log says which unit gets them and how to choose, and a jalan report goes there, the routing reason saying so."""
    token = create_token(database, "64.08", categories=("jalan",), level="UNIT")
    desk = start_desk(hub, tmp_path / "pupr", "64.08.pupr", "64.08", "UNIT", token=token,
                      extra=["--categories", "jalan"])
    args = ["node", "rest", "--config", str(_example(agency, tmp_path)), "--hub-url", hub.url, "--data-dir",
            str(tmp_path / "sipakar"), "--token", create_token(database, "64.08", categories=GRANTED),
            "--heartbeat", "0.5", "--port", "0"]
    try:
        with node_process("64.08.sipakar", args, env={TOKEN_ENV: TOKEN}):
            hub.process.wait_for(r"units 64\.08\.pupr and 64\.08\.sipakar both claim category jalan in 64\.08: "
                                 r"without a routing rule its reports go to 64\.08\.pupr, the first by code; add one "
                                 r"\(addRoutingRule\) to choose")
            assert "category kesehatan" not in hub.process.output  # SIPAKAR's alone
            report = {"kind": "PENGADUAN", "title": "Jalan longsor", "body": "Jalan longsor di Sangatta Selatan.",
                      "category": "jalan", "regionCode": "64.08.04"}
            body = await graphql(session, hub.graphql_url, SUBMIT, {"report": report})
            routing = body["data"]["submitReport"]["routing"]
            assert routing["target"] == "64.08.pupr" and "2 nodes fit (64.08.pupr, 64.08.sipakar)" in routing["reason"]
    finally:
        desk.process.stop()


async def test_the_agency_joins_the_demo_federation_as_the_readme_says(
    session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """Every line of the README's demo block, run as written at the project's root, with this machine's ports and
    folders: the fake agency API, its config, the token, the node. A jalan report submitted at the demo hub is
    POSTed to the agency once and listed under the node."""
    fake_line, sed_line, token_line, export_line, node_line = _demo_lines()
    port = str(_free_port())
    here = {"8790": port, ".simpul/sipakar.toml": str(tmp_path / "sipakar.toml"),
            ".simpul/sipakar": str(tmp_path / "sipakar"), "--port 8702": "--port 0"}

    def as_here(line: str, **more: str) -> str:
        for written, value in {**here, **more}.items():
            line = line.replace(written, value)
        return line

    fake = ChildProcess(shlex.split(as_here(fake_line).removesuffix("&"))[3:], module=shlex.split(fake_line)[2],
                        cwd=ROOT)
    try:
        fake.wait_for(f"fake agency API on http://127.0.0.1:{port}")
        subprocess.run(["bash", "-c", as_here(sed_line)], cwd=ROOT, check=True)
        with running_demo() as demo:
            hub_url = demo.url(r"GraphiQL:\s+(\S+)/graphql")
            key = bearer(demo.url(r'"Authorization": "Bearer (smp_\S+)"'))
            token = run_cli(*shlex.split(as_here(token_line, **{".simpul/demo": str(demo.data_dir)}))[1:])
            assert token.returncode == 0, token.stderr
            name, value = export_line.removeprefix("export ").split("=", 1)
            node = ChildProcess(shlex.split(as_here(node_line, **{"http://127.0.0.1:8000": hub_url,
                                                                  "<enrolment token>": token.stdout.strip()}))[1:],
                                env={name: value}, cwd=ROOT)
            try:
                node.wait_for(r"node 64\.08\.sipakar serving on http://")
                title = "Jalan longsor di Sangatta Selatan"
                report = {"kind": "PENGADUAN", "title": title, "body": f"{title}, mohon segera ditangani.",
                          "category": "jalan", "regionCode": "64.08.04"}
                body = await graphql(session, f"{hub_url}/graphql", SUBMIT, {"report": report}, headers={})
                assert body["data"]["submitReport"]["routing"]["target"] == "64.08.sipakar", body

                async def listed() -> list[str] | None:
                    found = await graphql(session, f"{hub_url}/graphql", INDEX, headers=key)
                    assert "errors" not in found, found
                    titles = [r["title"] for r in found["data"]["reports"]["reports"] if r["node"] == "64.08.sipakar"]
                    return titles or None

                assert await eventually(listed, timeout=30) == [title]
                agency = FakeAgency(f"http://127.0.0.1:{port}", session)
                assert [b["judul"] for b in await agency.bodies_posted()] == [title]
                assert "Traceback" not in node.output
            finally:
                node.stop()
    finally:
        fake.stop()
