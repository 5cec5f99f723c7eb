"""Fresh databases on the test server: one per test, module or scenario, dropped afterwards."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg


def with_database(url: str, name: str) -> str:
    """The same server's URL, naming another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@asynccontextmanager
async def connection(url: str, schema: str | None = None) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to the database at `url` (with `schema` first on the search path), closed after."""
    settings = {"search_path": schema} if schema else None
    conn = await asyncpg.connect(url, server_settings=settings)
    try:
        yield conn
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_database(pg_server: str, prefix: str = "simpul_t") -> AsyncIterator[str]:
    """Create an empty database, yield its URL, drop it (closing whatever still uses it)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    async with connection(pg_server) as admin:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(pg_server, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def hub_pool_with_kutim(
    database_url: str, size: int, signing_key: bytes = b"\x00"
) -> AsyncIterator[asyncpg.Pool]:
    """The hub's migrated tables with one enrolled node, Kutai Timur's desk (64.08), and a pool of `size`
    connections to them, as the hub's own modules use it."""
    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from simpul.db.pool import create_pool

    await migrate_hub(database_url)
    pool = await create_pool(database_url, SCHEMA, max_size=size)
    try:
        await pool.execute(
            "INSERT INTO nodes (code, name, level, region_code, categories, endpoint, kind, signing_key)"
            " VALUES ('64.08', 'Pemkab Kutai Timur', 'KABKOTA', '64.08', '{}', 'http://127.0.0.1:1', 'desk', $1)",
            signing_key)
        yield pool
    finally:
        await pool.close()


MARIADB_MISSING = ("mariadbd is not installed: `make test` installs it as root, or run"
                   " `apt-get install mariadb-server`; the MariaDB tests of the sql connector are skipped")


def mariadbd() -> str | None:
    """The MariaDB server binary, when Debian's mariadb-server is installed (it lives in /usr/sbin)."""
    import shutil

    return shutil.which("mariadbd") or shutil.which("mariadbd", path="/usr/sbin:/usr/local/sbin")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def mariadb_server(folder: Path) -> Iterator[str]:
    """A MariaDB server of its own in `folder` (data and socket), on a free port of 127.0.0.1, for as long
    as the block runs; yields its root URL (`mysql://root@127.0.0.1:<port>`). Nothing of the system's
    MariaDB is used: --no-defaults reads no /etc/mysql."""
    data = folder / "data"
    log = folder / "mariadbd.log"
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal", f"--datadir={data}",
         "--user=root", "--skip-test-db"],
        check=True, capture_output=True, timeout=120)
    for _attempt in range(3):  # a free port may be taken by another process before the server binds it
        port = _free_port()
        with log.open("wb") as output:
            server = subprocess.Popen(
                [mariadbd() or "mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={folder / 's'}",
                 "--skip-networking=0", f"--port={port}", "--bind-address=127.0.0.1", "--user=root",
                 f"--pid-file={folder / 'pid'}", "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M",
                 "--skip-log-bin", "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"],
                stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not _answers(port, data) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # polls until this server accepts a login: it says when it is ready
        if server.poll() is None and _answers(port, data):
            break
        _stop(server)
    else:
        raise RuntimeError(f"mariadbd did not start: {log.read_text()[-2000:]}")
    try:
        yield f"mysql://root@127.0.0.1:{port}"
    finally:
        _stop(server)


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _answers(port: int, data: Path) -> bool:
    """Whether the MariaDB server of `data` answers a root login on `port` (not another test's server that
    took the port first)."""
    import asyncio

    import asyncmy

    async def datadir() -> str:
        conn = await asyncmy.connect(host="127.0.0.1", port=port, user="root", connect_timeout=2)
        try:
            async with conn.cursor() as cursor:
                await cursor.execute("SELECT @@datadir")
                [found] = await cursor.fetchone()
                return str(found)
        finally:
            conn.close()

    try:
        return Path(asyncio.run(datadir())).resolve() == data.resolve()
    except (OSError, asyncmy.errors.Error):
        return False


@asynccontextmanager
async def mariadb_connection(url: str) -> AsyncIterator[Any]:
    """An asyncmy connection of its own to `url` (autocommit), closed after."""
    import asyncmy

    from connectors.sql.dialect import mysql_params

    conn = await asyncmy.connect(**mysql_params(url), autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


async def mariadb_execute(url: str, *statements: str) -> None:
    """Run `statements` in order on a connection of their own."""
    async with mariadb_connection(url) as conn, conn.cursor() as cursor:
        for statement in statements:
            await cursor.execute(statement)


@asynccontextmanager
async def fresh_mariadb_database(server: str, prefix: str = "simpul_t") -> AsyncIterator[str]:
    """Create an empty database on the MariaDB `server`, yield its URL, drop it."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    await mariadb_execute(server, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield with_database(server, name)
    finally:
        await mariadb_execute(server, f"DROP DATABASE IF EXISTS `{name}`")
