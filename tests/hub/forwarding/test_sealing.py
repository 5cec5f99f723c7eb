"""Sealed reporter identities: the key file, the seal, and the upgrade that seals what an older hub kept in clear."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncpg
import pytest

from hub.forwarding.sealing import Identity, IdentityKeyError, IdentitySeal, SealBroken, seal_clear_identities
from hub.settings import SCHEMA
from simpul.db.migrate import load_migrations, migrate
from simpul.db.pool import create_pool

NAME, CONTACT = "Bonifasius Lahagu", "0813-4520-7781"


def test_a_missing_key_file_is_created_private_and_read_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "state" / "identity.key"
    first = IdentitySeal.from_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    sealed = first.seal("LPR-2345ABCD", Identity(NAME, CONTACT))
    assert NAME.encode() not in sealed and b"7781" not in sealed
    again = IdentitySeal.from_file(path)  # another replica, or the hub after a restart
    assert again.open("LPR-2345ABCD", sealed) == Identity(NAME, CONTACT)
    assert [p.name for p in path.parent.iterdir()] == ["identity.key"], "no temporary file left behind"


def test_a_seal_opens_only_for_its_report_and_its_key(tmp_path: Path) -> None:
    seal = IdentitySeal.from_file(tmp_path / "a.key")
    sealed = seal.seal("LPR-2345ABCD", Identity(NAME, None))
    with pytest.raises(SealBroken, match="LPR-2345ABCE"):
        seal.open("LPR-2345ABCE", sealed)  # copied onto another report
    with pytest.raises(SealBroken, match="does not open with this key"):
        IdentitySeal.from_file(tmp_path / "b.key").open("LPR-2345ABCD", sealed)
    assert NAME not in repr(Identity(NAME, CONTACT)), "a stray log line prints no identity"


def test_a_key_file_that_is_not_a_key_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "identity.key"
    path.write_text("not base64 at all!\n")
    with pytest.raises(IdentityKeyError, match="one base64 line of 32 bytes"):
        IdentitySeal.from_file(path)
    path.write_text("c2hvcnQ=\n")
    with pytest.raises(IdentityKeyError, match="32 bytes, not 5"):
        IdentitySeal.from_file(path)


def test_submission_digests_are_keyed(tmp_path: Path) -> None:
    one, other = IdentitySeal.from_file(tmp_path / "a.key"), IdentitySeal.from_file(tmp_path / "b.key")
    content = {"title": "Lampu jalan mati", "reporter_contact": CONTACT}
    assert one.digest(content) == one.digest(dict(reversed(content.items())))
    assert one.digest(content) != other.digest(content), "no one without the key can test a guess"


async def test_upgrading_seals_the_identities_still_owed_a_delivery_and_purges_the_rest(
    database: str, tmp_path: Path
) -> None:
    """A hub database at migration 8 kept identities in clear; after 9 and the hub's start-up, none is."""
    conn = await asyncpg.connect(database)
    try:
        await _migrate_to(conn, 8)
        await conn.execute(
            "INSERT INTO hub.nodes (code, name, level, region_code, categories, endpoint, kind, signing_key)"
            " VALUES ('64.08', 'Pemkab Kutai Timur', 'KABKOTA', '64.08', '{}', 'http://127.0.0.1:1', 'desk', '\\x00')")
        for tn, origin_node, routing in (("LPR-WAITING2", None, "FORWARDING"), ("LPR-DELIVER3", None, "HELD"),
                                         ("64.08-000001", "64.08", "HELD")):
            await conn.execute(
                "INSERT INTO hub.ledger (tracking_number, origin_id, origin_node, kind, title, body, category,"
                " region_code, channel, anonymous, confidential, reporter_name, reporter_contact, received_at,"
                " status, routing) VALUES ($1, $2, $3, 'PENGADUAN', 'Jalan rusak', 'Berlubang.', 'infrastruktur',"
                " '64.08', 'WEB', false, true, $4, $5, now(), 'RECEIVED', $6)",
                tn, f"{origin_node or 'hub'}:{tn}", origin_node, NAME, CONTACT, routing)
        await _migrate_to(conn, None)
    finally:
        await conn.close()
    seal = IdentitySeal.from_file(tmp_path / "identity.key")
    pool = await create_pool(database, SCHEMA, max_size=2)
    try:
        assert await seal_clear_identities(pool, seal) == 1
        rows = {r["tracking_number"]: r for r in await pool.fetch(
            "SELECT tracking_number, reporter_name, reporter_contact, sealed_identity FROM ledger")}
        with pytest.raises(asyncpg.CheckViolationError):
            await pool.execute("UPDATE ledger SET reporter_contact = $1 WHERE tracking_number = 'LPR-DELIVER3'",
                               CONTACT)
    finally:
        await pool.close()
    assert all(r["reporter_name"] is None and r["reporter_contact"] is None for r in rows.values())
    assert seal.open("LPR-WAITING2", rows["LPR-WAITING2"]["sealed_identity"]) == Identity(NAME, CONTACT)
    assert rows["LPR-DELIVER3"]["sealed_identity"] is None, "its unit holds the reporter: the hub keeps nothing"
    assert rows["64.08-000001"]["sealed_identity"] is None, "its door holds the reporter"


async def _migrate_to(conn: asyncpg.Connection, version: int | None) -> None:
    """The hub's migrations up to `version` (all: None), as an older release left its database."""
    if version is None:
        await migrate(conn, SCHEMA, "hub.db.migrations")
        return
    async with conn.transaction():
        await conn.execute(f"CREATE SCHEMA {SCHEMA}")
        await conn.execute(f"SET LOCAL search_path TO {SCHEMA}")
        await conn.execute("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
                           " applied_at timestamptz NOT NULL DEFAULT now())")
        for migration in load_migrations("hub.db.migrations")[:version]:
            await conn.execute(migration.sql)
            await conn.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                               migration.version, migration.name)
