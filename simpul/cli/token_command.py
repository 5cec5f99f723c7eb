"""`simpul token`: enrolment tokens, which enrol a node or renew an enrolled node's secret."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from simpul.cli.access_command import cli_principal, with_hub
from simpul.cli.args import database_args, duration
from simpul.wire import NodeLevel

if TYPE_CHECKING:
    import asyncpg


def add_token_commands(commands: Any) -> None:
    token = commands.add_parser("token", help="manage enrolment tokens")
    token_commands = token.add_subparsers(dest="action", required=True, metavar="action")
    create = token_commands.add_parser("create", help="issue a one-time enrolment token")
    database_args(create)
    target = create.add_mutually_exclusive_group(required=True)
    target.add_argument("--region", help="region subtree the token may enrol a node in, e.g. 64.08")
    target.add_argument("--node", help="an enrolled node's code: the token renews that node's secret "
                                       "(rotation, or after a leak) instead of enrolling a new node")
    create.add_argument("--ttl", type=duration, default=timedelta(days=1),
                        help="lifetime like 30m, 12h or 7d (default 1d)")
    create.add_argument("--categories", type=_categories, metavar="A,B",
                        help="comma-separated categories the node may claim authority over (routing sends it those "
                             "reports); default none, or with --node the node's own")
    create.add_argument("--level", choices=[level.value for level in NodeLevel],
                        help="the level the node must enrol at (default: any its region allows)")
    create.add_argument("--note", help="who the token is for")
    create.set_defaults(run=_run_create)
    listing = token_commands.add_parser("list", help="list tokens by id (never the tokens themselves)")
    database_args(listing)
    listing.add_argument("--open", action="store_true", help="only tokens a node could still use")
    listing.set_defaults(run=_run_list)
    withdraw = token_commands.add_parser("withdraw", help="withdraw an unused token by its id from `token list`")
    database_args(withdraw)
    withdraw.add_argument("id", help="the token's id (12 hex digits)")
    withdraw.set_defaults(run=_run_withdraw)


def _categories(text: str) -> list[str]:
    return [c for c in text.split(",") if c.strip()]


def _run_create(args: argparse.Namespace) -> None:
    from hub.nodes.enrolment import create_token

    async def create(conn: asyncpg.Connection) -> None:
        level = NodeLevel(args.level) if args.level else None
        issued = await create_token(conn, cli_principal(), args.region, args.ttl, args.note, args.node,
                                    args.categories, level)
        print(issued.token)
        bound = f"{issued.level} " if issued.level else ""
        does = f"renews the secret of node {issued.node_code}" if issued.node_code \
            else f"enrols one {bound}node in region {issued.region_code}"
        print(f"{does} with categories {', '.join(issued.categories) or 'none'}; "
              f"expires {issued.expires_at.isoformat(timespec='seconds')}", file=sys.stderr)

    with_hub(args, create)


def _run_list(args: argparse.Namespace) -> None:
    from hub.nodes.enrolment import list_tokens

    async def show(conn: asyncpg.Connection) -> None:
        for t in await list_tokens(conn, cli_principal(), args.open):
            does = f"renews {t.node_code}" if t.node_code else f"enrols in {t.region_code or 'national'}"
            print(f"{t.id}\t{does}\t{t.state}\tcreated {t.created_at:%Y-%m-%d %H:%M}"
                  f"\texpires {t.expires_at:%Y-%m-%d %H:%M}\tlevel {t.level or 'any'}"
                  f"\tcategories {','.join(t.categories) or '-'}\t{t.note or '-'}")

    with_hub(args, show)


def _run_withdraw(args: argparse.Namespace) -> None:
    from hub.nodes.enrolment import withdraw_token

    async def withdraw(conn: asyncpg.Connection) -> None:
        token = await withdraw_token(conn, cli_principal(), args.id)
        print(f"token {token.id} withdrawn; no node can use it")

    with_hub(args, withdraw)
