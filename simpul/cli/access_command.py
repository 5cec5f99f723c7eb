"""`simpul key ...` and `simpul user ...`: the first admin, and keys for machines, from the command line.

The command line acts with the rights of whoever can reach the database,
so it is the one place a national admin can come from; the audit log
names it 'cli (<login name>)'.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from simpul.cli.args import CommandError, database_args

if TYPE_CHECKING:
    import asyncpg

    from hub.access.principal import Principal

ROLES = ("admin", "supervisor", "integrator")


def add_access_commands(commands: Any) -> None:
    key = commands.add_parser("key", help="API keys for admins, supervisors and integrators")
    key_commands = key.add_subparsers(dest="action", required=True, metavar="action")
    create = key_commands.add_parser("create", help="issue a key; it is printed once and stored hashed")
    database_args(create)
    create.add_argument("--role", required=True, choices=ROLES)
    create.add_argument("--name", required=True, help="whose key it is, e.g. 'Biro Organisasi Kaltim'")
    create.add_argument("--region", required=True, help="region subtree it covers, e.g. 64; 'national' for all")
    create.add_argument("--operations", help="integrators: comma-separated root fields, e.g. reports,stats")
    create.add_argument("--published", action="store_true",
                        help="integrators: a key to publish in a page (a portal's): counts only, limited per "
                        "visitor's address")
    create.set_defaults(run=_run_key_create)
    revoke = key_commands.add_parser("revoke", help="revoke a key by its id; it stops working at once")
    database_args(revoke)
    revoke.add_argument("id", type=int)
    revoke.set_defaults(run=_run_key_revoke)
    listing = key_commands.add_parser("list", help="list keys (never their secrets)")
    database_args(listing)
    listing.set_defaults(run=_run_key_list)

    user = commands.add_parser("user", help="people who log in (admins and supervisors)")
    user_commands = user.add_subparsers(dest="action", required=True, metavar="action")
    user_create = user_commands.add_parser("create", help="add a person; the first national admin starts here")
    database_args(user_create)
    user_create.add_argument("--username", required=True)
    user_create.add_argument("--name", required=True, help="full name and office")
    user_create.add_argument("--role", required=True, choices=ROLES[:2])
    user_create.add_argument("--region", required=True, help="region subtree, e.g. 64; 'national' for all")
    user_create.add_argument("--password-stdin", action="store_true",
                             help="read the password from the first line of standard input (else: a prompt)")
    user_create.set_defaults(run=_run_user_create)
    user_password = user_commands.add_parser("password", help="set a person's password (forgotten or leaked); "
                                                              "their sessions end")
    database_args(user_password)
    user_password.add_argument("--username", required=True)
    user_password.add_argument("--password-stdin", action="store_true",
                               help="read the password from the first line of standard input (else: a prompt)")
    user_password.set_defaults(run=_run_user_password)


def _region(value: str) -> str:
    return "" if value == "national" else value


def with_hub(args: argparse.Namespace, work: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    """Run `work` on a connection to the hub's (migrated) database: the commands that manage the hub directly."""
    import asyncpg

    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from simpul.db.embedded import database_url

    async def run(url: str) -> None:
        await migrate_hub(url)
        conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
        try:
            await work(conn)
        finally:
            await conn.close()

    with database_url(args.database_url, args.data_dir) as url:
        asyncio.run(run(url))


def cli_principal() -> Principal:
    """Whoever runs the command line, with a national admin's rights (they can reach the database)."""
    from hub.access.principal import Principal, Role

    return Principal(role=Role.ADMIN, name=f"cli ({getpass.getuser()})")


def _run_key_create(args: argparse.Namespace) -> None:
    from hub.access.keys import issue_key
    from hub.access.policy import INTEGRATOR_OPERATIONS
    from hub.access.principal import Role

    operations = [op.strip() for op in args.operations.split(",") if op.strip()] if args.operations else None

    async def create(conn: asyncpg.Connection) -> None:
        cli = cli_principal()
        key, secret = await issue_key(conn, cli, Role(args.role.upper()), args.name, _region(args.region),
                                      operations, INTEGRATOR_OPERATIONS, args.published)
        print(secret)
        published = ", published" if key.published else ""
        print(f"{args.role} key {key.id}{published} for {key.name}, region {args.region}; shown once, stored hashed",
              file=sys.stderr)

    with_hub(args, create)


def _run_key_revoke(args: argparse.Namespace) -> None:
    from hub.access.keys import revoke_key

    async def revoke(conn: asyncpg.Connection) -> None:
        cli = cli_principal()
        key = await revoke_key(conn, cli, args.id)
        print(f"key {key.id} ({key.name}) revoked")

    with_hub(args, revoke)


def _run_key_list(args: argparse.Namespace) -> None:
    from hub.access.keys import list_keys

    async def show(conn: asyncpg.Connection) -> None:
        cli = cli_principal()
        for k in await list_keys(conn, cli):
            state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
            used = f"{k.last_used_at:%Y-%m-%d %H:%M}" if k.last_used_at else "never"
            ops = ",".join(k.operations) if k.operations else "-"
            ops += " (published)" if k.published else ""
            print(f"{k.id}\t{k.role.value}\t{k.region_code or 'national'}\t{state}\tlast used {used}\t{ops}\t{k.name}")

    with_hub(args, show)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise CommandError("no terminal to ask for the password; pass --password-stdin and pipe it in")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandError("the two passwords differ")
    return first


def _run_user_create(args: argparse.Namespace) -> None:
    from hub.access.principal import Role
    from hub.access.users import check_password, create_user

    password = check_password(_read_password(args.password_stdin))

    async def create(conn: asyncpg.Connection) -> None:
        cli = cli_principal()
        user = await create_user(conn, cli, args.username, args.name, Role(args.role.upper()), _region(args.region),
                                 password)
        print(f"{user.role.value.lower()} {user.username} ({user.name}), region {args.region}: log in with the "
              "login mutation", file=sys.stderr)

    with_hub(args, create)


def _run_user_password(args: argparse.Namespace) -> None:
    from hub.access.users import check_password, reset_password

    password = check_password(_read_password(args.password_stdin))

    async def reset(conn: asyncpg.Connection) -> None:
        user = await reset_password(conn, cli_principal(), args.username, password)
        print(f"password of {user.username} set; their sessions ended", file=sys.stderr)

    with_hub(args, reset)
