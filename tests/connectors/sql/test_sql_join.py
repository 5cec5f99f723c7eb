"""A Laravel agency on MariaDB joins a running federation as its engineer would, from the README's commands: its
reports are in the hub's federated reads, and a report the hub routes to it lands in `pengaduans` exactly once,
also when the hub's delivery times out and is retried. With `feed = "history"` the officers' notes reach the
hub's timeline. A bad start is one line from the command, never a traceback."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from simpul.processes import ChildProcess
from tests.connectors.nodes import node_process
from tests.connectors.sql.agency import readme_toml
from tests.connectors.sql.laravel import EXAMPLE, LaravelApp
from tests.databases import mariadb_connection, mariadb_execute
from tests.demo import running_demo
from tests.federation import Federation, bearer, create_token, eventually, graphql, run_cli

README = EXAMPLE.parents[1] / "README.md"
CODE = "64.08.lapor"

SUBMIT = """
mutation Submit($report: SubmitReportInput!) {
  submitReport(report: $report) { trackingNumber routing { target reason } }
}
"""
TRACK = "query($t: String!) { trackReport(trackingNumber: $t) { routing } }"
INDEX = "{ reports(first: 100) { reports { id node status title trackingNumber } } }"
LIVE = "{ reports(first: 100, live: true) { reports { id node status title } } }"


def readme_commands(heading: str = "Joining the federation, step by step") -> list[str]:
    """The `simpul ...` command lines of the README's section under `### heading`."""
    section = README.read_text().split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.M | re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("simpul ")]


def _as_here(command: str, values: dict[str, str], flags: dict[str, str | None]) -> list[str]:
    """`command`'s arguments (after `simpul`) as a shell splits them, with the placeholders in `values` filled in
    and each flag in `flags` given this machine's value (None: left out, as its default serves here)."""
    for placeholder, value in values.items():
        assert placeholder in command, f"the README's command has no {placeholder}: {command}"
        command = command.replace(placeholder, shlex.quote(value))
    args: list[str] = []
    words = iter(shlex.split(command)[1:])
    for word in words:
        if word in flags:
            next(words)
            if flags[word] is not None:
                args += [word, str(flags[word])]
        else:
            args.append(word)
    return args


@pytest.fixture
async def laravel(mariadb: str) -> LaravelApp:
    app = LaravelApp(mariadb)
    await app.create_schema()
    return app


@pytest.fixture
def started_node(federation: Federation, laravel: LaravelApp, tmp_path: Path) -> Iterator[ChildProcess]:
    """The README's token and node commands as written, against the federation's hub and the Laravel database."""
    config = tmp_path / "laravel.toml"
    config.write_text(EXAMPLE.read_text())  # as the README shows it: parent = 64.08, the federation's desk
    token_command, node_command = readme_commands()
    token = run_cli(*_as_here(token_command, {"<hub database URL>": federation.hub.database_url}, {}))
    assert token.returncode == 0, token.stderr
    args = _as_here(node_command, {"laravel.toml": str(config), "<enrolment token>": token.stdout.strip()},
                    {"--data-dir": str(tmp_path / "node"), "--host": "127.0.0.1", "--port": "0",
                     "--public-url": None})
    # The tests' hub marks a node late after 3 s without a heartbeat (a real one: minutes); the hub is this one.
    node = ChildProcess([*args, "--heartbeat", "0.5"],
                        env={"PENGADUAN_DATABASE_URL": laravel.database_url, "SIMPUL_HUB_URL": federation.hub.url})
    try:
        node.wait_for(rf"node {re.escape(CODE)} serving on http://")
        yield node
    finally:
        node.stop()


async def _hub(federation: Federation, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(federation.hub.database_url, server_settings={"search_path": "hub"})
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def _submit(session: aiohttp.ClientSession, federation: Federation, title: str) -> str:
    report = {"kind": "PENGADUAN", "title": title, "body": f"{title}, mohon segera diperbaiki.", "category": "jalan",
              "regionCode": "64.08.04"}
    body = await graphql(session, federation.hub.graphql_url, SUBMIT, {"report": report})
    assert "errors" not in body, body
    submitted = body["data"]["submitReport"]
    assert submitted["routing"]["target"] == CODE, submitted  # the unit with authority over jalan in 64.08
    return str(submitted["trackingNumber"])


async def _delivered(federation: Federation, tracking_number: str) -> list[tuple[str, int]] | None:
    rows = await _hub(federation, "SELECT state, attempts FROM deliveries WHERE tracking_number = $1"
                                  " AND purpose = 'ACCEPT'", tracking_number)
    states = [(r["state"], r["attempts"]) for r in rows]
    return states if states and all(state == "DONE" for state, _ in states) else None


async def test_a_laravel_agency_joins_from_the_readme_and_serves_reads_and_forwarded_reports(
    federation: Federation, laravel: LaravelApp, started_node: ChildProcess, session: aiohttp.ClientSession
) -> None:
    yesterday = datetime.now(UTC) - timedelta(days=1)
    # In the order the app writes them: an updated_at feed read between two rows stamped out of order would
    # miss the older one (connectors/sql/README.md, "The change feed").
    await laravel.enter("Lampu jalan mati", yesterday - timedelta(hours=2), category="Penerangan Jalan Umum",
                        status="proses")
    own = await laravel.enter("Jalan berlubang di Jl. Yos Sudarso", yesterday, wilayah="640804")

    async def indexed() -> list[dict[str, Any]] | None:
        body = await graphql(session, federation.hub.graphql_url, INDEX)
        assert "errors" not in body, body
        found = [r for r in body["data"]["reports"]["reports"] if r["node"] == CODE]
        return found if len(found) == 2 else None

    listed = await eventually(indexed, timeout=30)
    assert [(r["title"], r["status"]) for r in listed] == [
        ("Jalan berlubang di Jl. Yos Sudarso", "RECEIVED"), ("Lampu jalan mati", "IN_PROCESS")]
    live = await graphql(session, federation.hub.graphql_url, LIVE)
    assert "errors" not in live, live
    assert f"{CODE}:{own}" in [r["id"] for r in live["data"]["reports"]["reports"]], "asked of the node itself"

    tracking = await _submit(session, federation, "Jembatan kayu di Sangatta Utara lapuk")
    assert await eventually(lambda: _delivered(federation, tracking), timeout=30) == [("DONE", 1)]
    rows = await laravel.execute("SELECT count(*) FROM pengaduans WHERE judul = %s AND sumber = 'simpul'"
                                 " AND kode_wilayah = '640804' AND kategori_id = 1",
                                 "Jembatan kayu di Sangatta Utara lapuk")
    assert rows == 1
    assert await laravel.execute("SELECT count(*) FROM simpul_accepted WHERE tracking_number = %s", tracking) == 1

    # Restarted without the token (the README: needed at the first start only), it serves again as itself.
    started_node.stop()
    at = started_node.args.index("--token")
    again = ChildProcess(started_node.args[:at] + started_node.args[at + 2:],
                         env={"PENGADUAN_DATABASE_URL": laravel.database_url, "SIMPUL_HUB_URL": federation.hub.url})
    try:
        again.wait_for(rf"node {re.escape(CODE)} serving on http://")

        async def answered() -> list[str] | None:
            body = await graphql(session, federation.hub.graphql_url, LIVE)
            ids = [r["id"] for r in (body["data"] or {}).get("reports", {}).get("reports", []) if r["node"] == CODE]
            return ids if "errors" not in body and len(ids) == 3 else None

        assert f"{CODE}:{own}" in await eventually(answered, timeout=30)
    finally:
        again.stop()


async def test_a_delivery_the_hub_retries_after_its_timeout_lands_once(
    federation: Federation, laravel: LaravelApp, started_node: ChildProcess, session: aiohttp.ClientSession
) -> None:
    """The agency's table is locked (a long migration, a backup) for longer than the hub waits: the hub's call
    times out while the node's INSERT waits, and the hub calls again with the same key. Once the lock goes, the
    report is in `pengaduans` once."""
    title = "Gorong-gorong tersumbat di Teluk Lingga"
    async with mariadb_connection(laravel.database_url) as locker, locker.cursor() as cursor:
        await cursor.execute("LOCK TABLES pengaduans WRITE")
        tracking = await _submit(session, federation, title)

        async def retried() -> int | None:
            rows = await _hub(federation, "SELECT attempts FROM deliveries WHERE tracking_number = $1", tracking)
            return rows[0]["attempts"] if rows and rows[0]["attempts"] >= 2 else None

        await eventually(retried, timeout=30)
        await cursor.execute("UNLOCK TABLES")
    [(state, attempts)] = await eventually(lambda: _delivered(federation, tracking), timeout=60)
    assert attempts >= 3, "delivered on a retry"
    assert await laravel.execute("SELECT count(*) FROM pengaduans WHERE judul = %s", title) == 1
    assert await laravel.execute("SELECT count(*) FROM simpul_accepted WHERE tracking_number = %s", tracking) == 1
    assert started_node.running


def _node(config: Path, tmp_path: Path, database_url: str) -> Any:
    return run_cli("node", "sql", "--config", str(config), "--hub-url", "http://127.0.0.1:9", "--data-dir",
                   str(tmp_path / "node"), "--port", "0", env={"PENGADUAN_DATABASE_URL": database_url})


def test_an_unreachable_database_is_one_line_from_the_command(tmp_path: Path) -> None:
    config = tmp_path / "laravel.toml"
    config.write_text(EXAMPLE.read_text())
    result = _node(config, tmp_path, "mysql://simpul:rahasia@127.0.0.1:1/pengaduan")
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("simpul: error: agency database, connecting: OperationalError: (2003, "), line
    assert "rahasia" not in line


@pytest.mark.parametrize(("change", "message"), [
    (('title = "judul"', 'title = "judull"'), "simpul: error: {db}.v_simpul_pengaduan has no column 'judull'"
                                              " (mapped as reports.title)"),
    (('status = "status"', 'status = "status; DROP TABLE pengaduans"'),
     "simpul: error: {config}: reports.status must be a plain SQL identifier (letters, digits, _), not"
     " 'status; DROP TABLE pengaduans'"),
    (('feed = "updated_at"', 'feed = "trigger"'),
     "simpul: error: {config}: feed = \"trigger\" is for PostgreSQL; on MySQL/MariaDB use feed = \"updated_at\""
     " or \"history\""),
])
async def test_a_mapping_that_does_not_fit_is_one_line_from_the_command(
    laravel: LaravelApp, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    config = tmp_path / "laravel.toml"
    text = EXAMPLE.read_text()
    assert change[0] in text
    config.write_text(text.replace(change[0], change[1], 1))
    result = _node(config, tmp_path, laravel.database_url)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        message.format(db=laravel.database_url.rsplit("/", 1)[1], config=config)]


# Laravel's status history beside pengaduans (`$table->foreignId('pengaduan_id')->constrained()`).
STATUS_PENGADUANS = """CREATE TABLE status_pengaduans (id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    pengaduan_id bigint unsigned NOT NULL, status enum('menunggu','proses','selesai','ditolak') NOT NULL,
    keterangan text NULL, created_at timestamp(6) NULL DEFAULT NULL, updated_at timestamp(6) NULL DEFAULT NULL,
    CONSTRAINT status_pengaduans_pengaduan_id_foreign FOREIGN KEY (pengaduan_id) REFERENCES pengaduans (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"""


async def _record_status(app: LaravelApp, local_id: str, status: str, note: str | None = None) -> None:
    """The app records a status change as its history row, stamped now (UTC, as Laravel's connection runs)."""
    await app.execute("INSERT INTO status_pengaduans (pengaduan_id, status, keterangan, created_at, updated_at)"
                      " VALUES (%s, %s, %s, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6))", int(local_id), status, note)


def _history_config(example: str) -> str:
    """The Laravel example with the README's `feed = "history"` block: the status from status_pengaduans."""
    history = readme_toml("[history]")
    lines = example.splitlines()
    lines = [f'feed = "{history["feed"]}"' if line.startswith("feed = ") else line for line in lines]
    lines.remove(next(line for line in lines if line.startswith('status = "status"')))  # [reports]: the history's
    table = "\n".join(f"{key} = {json.dumps(value)}" for key, value in history["history"].items())
    return "\n".join(lines) + f"\n\n[history]\n{table}\n"


CHAIN = "query($t: String!) { reportChain(trackingNumber: $t) { status timeline { event status note } } }"


async def test_a_status_history_reaches_the_hub_with_the_officers_notes(
    federation: Federation, mariadb: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    app = LaravelApp(mariadb)
    await app.create_schema()
    await mariadb_execute(mariadb, STATUS_PENGADUANS)
    local_id = await app.enter("Drainase tersumbat", datetime.now(UTC) - timedelta(hours=5))
    await _record_status(app, local_id, "menunggu")
    config = tmp_path / "laravel.toml"
    config.write_text(_history_config(EXAMPLE.read_text()))
    token = create_token(federation.hub.database_url, "64.08", categories=["jalan", "penerangan", "kesehatan",
                                                                           "kebersihan", "air", "kependudukan"])
    with node_process(CODE, ["node", "sql", "--config", str(config), "--token", token, "--hub-url",
                             federation.hub.url, "--data-dir", str(tmp_path / "node"), "--heartbeat", "0.5"],
                      env={"PENGADUAN_DATABASE_URL": mariadb}):

        async def indexed(status: str) -> str | None:
            body = await graphql(session, federation.hub.graphql_url, INDEX)
            assert "errors" not in body, body
            found = [r for r in body["data"]["reports"]["reports"] if r["id"] == f"{CODE}:{local_id}"]
            return str(found[0]["trackingNumber"]) if found and found[0]["status"] == status else None

        tracking = await eventually(lambda: indexed("RECEIVED"), timeout=30)
        await _record_status(app, local_id, "proses", "Tim UPTD dijadwalkan Kamis")
        await _record_status(app, local_id, "selesai", "Saluran sudah dibersihkan")
        await eventually(lambda: indexed("COMPLETED"), timeout=30)
        chain = await graphql(session, federation.hub.graphql_url, CHAIN, {"t": tracking})
    assert "errors" not in chain, chain
    statuses = [(e["status"], e["note"]) for e in chain["data"]["reportChain"]["timeline"] if e["status"]]
    assert statuses[-2:] == [("IN_PROCESS", "Tim UPTD dijadwalkan Kamis"), ("COMPLETED", "Saluran sudah dibersihkan")]


async def test_the_laravel_agency_joins_the_demo_federation_from_the_readme(
    laravel: LaravelApp, session: aiohttp.ClientSession, tmp_path: Path
) -> None:
    """The README's "On the demo federation" lines as written, against `simpul demo` (its data folder and port
    are this test's own): the app's reports are in the demo hub's reads, and a `jalan` report submitted at the
    hub lands in `pengaduans` once."""
    await laravel.enter("Lampu jalan mati di Jl. Pendidikan", datetime.now(UTC) - timedelta(hours=3),
                        category="Penerangan Jalan Umum")
    with running_demo() as demo:
        hub_url = demo.url(r"GraphiQL:\s+(\S+)/graphql")
        key = bearer(demo.url(r'"Authorization": "Bearer (smp_\S+)"'))
        token_command, node_command = readme_commands("On the demo federation")
        token = run_cli(*_as_here(token_command, {".simpul/demo": str(demo.data_dir)}, {}))
        assert token.returncode == 0, token.stderr
        args = _as_here(node_command, {"connectors/sql/examples/laravel.toml": str(EXAMPLE),
                                       "http://127.0.0.1:8000": hub_url, "<enrolment token>": token.stdout.strip(),
                                       ".simpul/agency": str(tmp_path / "agency")}, {})
        node = ChildProcess(args, env={"PENGADUAN_DATABASE_URL": laravel.database_url})
        try:
            node.wait_for(rf"node {re.escape(CODE)} serving on http://")

            async def indexed() -> list[str] | None:
                body = await graphql(session, f"{hub_url}/graphql", INDEX, headers=key)
                assert "errors" not in body, body
                titles = [r["title"] for r in body["data"]["reports"]["reports"] if r["node"] == CODE]
                return titles or None

            assert await eventually(indexed, timeout=30) == ["Lampu jalan mati di Jl. Pendidikan"]

            title = "Jalan longsor di Sangatta Selatan"
            report = {"kind": "PENGADUAN", "title": title, "body": f"{title}, mohon segera ditangani.",
                      "category": "jalan", "regionCode": "64.08.04"}
            body = await graphql(session, f"{hub_url}/graphql", SUBMIT, {"report": report}, headers={})  # a citizen
            assert body["data"]["submitReport"]["routing"]["target"] == CODE, body

            async def landed() -> int | None:
                count = await laravel.execute("SELECT count(*) FROM pengaduans WHERE judul = %s", title)
                return int(count) or None

            assert await eventually(landed, timeout=30) == 1
            tracking = body["data"]["submitReport"]["trackingNumber"]

            async def held() -> bool:  # the hub has recorded the delivery: nothing more is on its way
                track = await graphql(session, f"{hub_url}/graphql", TRACK, {"t": tracking}, headers=key)
                return track["data"]["trackReport"]["routing"] == "HELD"

            await eventually(held, timeout=30)
            assert await laravel.execute("SELECT count(*) FROM pengaduans WHERE judul = %s", title) == 1
            assert "Traceback" not in node.output
        finally:
            node.stop()
