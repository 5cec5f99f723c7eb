"""The `simpul` command: hub, node <kind>, token, key, user, holidays, migrate, demo, schema export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hub.settings import HubSettings
from simpul.cli.access_command import add_access_commands, cli_principal
from simpul.cli.args import (
    CommandError,
    Parser,
    add_setting_flags,
    database_args,
    pem_file,
    port,
    settings_from_args,
    year,
)
from simpul.cli.node_command import add_node_command
from simpul.cli.process import configure_logging, serve_forever, terminate
from simpul.cli.token_command import add_token_commands
from simpul.logformat import FORMATS

log = logging.getLogger("simpul")

# The hub's settings that its other commands take as flags too.
HUB_KEY_SETTINGS = ("data_dir", "hub_key_file")
INDEX_REBUILD_SETTINGS = ("database_url", "data_dir", "hub_key_file", "allow_insecure_nodes", "node_ca_file")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="simpul", description=__doc__)
    parser.add_argument("--log-level", default=os.environ.get("SIMPUL_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", default=os.environ.get("SIMPUL_LOG_FORMAT", "text"), choices=FORMATS,
                        help="log lines as text or one JSON object each (env SIMPUL_LOG_FORMAT; default text)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    hub = commands.add_parser("hub", help="run the hub (GraphQL at /graphql)")
    add_setting_flags(hub, HubSettings)
    hub.set_defaults(run=_run_hub)

    add_node_command(commands)

    add_token_commands(commands)
    add_access_commands(commands)

    holidays = commands.add_parser("holidays", help="the holiday calendar the SLA clock counts working days with")
    holiday_commands = holidays.add_subparsers(dest="action", required=True, metavar="action")
    load = holiday_commands.add_parser("load", help="load a year's national holidays from a CSV of date,name lines")
    database_args(load)
    load.add_argument("--year", type=year, required=True, help="the year the file covers, e.g. 2025")
    load.add_argument("--file", type=Path, required=True, help="CSV file: one 'YYYY-MM-DD,name' line per day off")
    load.set_defaults(run=_run_holidays_load)
    listing = holiday_commands.add_parser("list", help="list a year's days off, national and local")
    database_args(listing)
    listing.add_argument("--year", type=year, required=True, help="the year to list")
    listing.add_argument("--region", help="only local holidays in, above or below this region, e.g. 64.08")
    listing.set_defaults(run=_run_holidays_list)

    index = commands.add_parser("index", help="the federation index national reads are answered from")
    index_commands = index.add_subparsers(dest="action", required=True, metavar="action")
    rebuild = index_commands.add_parser(
        "rebuild", help="read nodes' change feeds again from the start and make the index what they say; the "
        "old rows answer until each node's part switches in one transaction")
    add_setting_flags(rebuild, HubSettings, INDEX_REBUILD_SETTINGS)
    rebuild.add_argument("--node", help="only this node (default: every active node)")
    rebuild.set_defaults(run=_run_index_rebuild)

    hub_key = commands.add_parser("hub-key", help="make the hub's Ed25519 key pair if missing and print its public "
                                  "key, the one nodes pin at enrolment")
    add_setting_flags(hub_key, HubSettings, HUB_KEY_SETTINGS)
    hub_key.set_defaults(run=_run_hub_key)

    migrate = commands.add_parser("migrate", help="apply the hub's database migrations")
    database_args(migrate)
    migrate.add_argument("--runtime-role", metavar="ROLE",
                         help="the LOGIN role the hub runs as: granted what the hub needs, not DDL, and only INSERT "
                         "and SELECT on audit_log (run this command as the owner)")
    migrate.set_defaults(run=_run_migrate)

    demo = commands.add_parser("demo", help="run a hub and a demo federation of Kalimantan desks")
    demo.add_argument("--port", type=port, default=8000, help="hub port (default 8000)")
    demo.add_argument("--data-dir", type=Path, default=Path(".simpul/demo"),
                      help="folder for the demo's database and node state (reset on start)")
    demo.set_defaults(run=_run_demo)

    schema = commands.add_parser("schema", help="the GraphQL contract files")
    schema_commands = schema.add_subparsers(dest="action", required=True, metavar="action")
    export = schema_commands.add_parser("export", help="write schema/node.graphql and hub.graphql")
    export.add_argument("--out", type=Path, default=Path("schema"), help="folder (default schema)")
    export.add_argument("--subgraph", action="store_true",
                        help="also write hub.subgraph.graphql, the SDL a Federation gateway composes")
    export.add_argument("--check", action="store_true",
                        help="do not write; fail when the files differ from the code")
    export.set_defaults(run=_run_schema_export)
    return parser


def _run_hub(args: argparse.Namespace) -> None:
    from hub.app import serve
    from hub.sla.zones import ZoneThresholds
    from simpul.db.embedded import database_url

    settings = settings_from_args(HubSettings, args)
    ZoneThresholds.from_settings(settings)  # a red bound beyond its green one is refused before anything starts
    pem_file(settings.node_ca_file, "--node-ca-file")
    _check_trusted_documents(settings)
    _check_hub_key(settings.key_file)
    _check_identity_key(settings.identity_key_path)
    with database_url(settings.database_url, settings.data_dir) as url:
        if settings.workers == 1:
            serve_forever(serve(settings, url))
        else:
            from simpul.cli.workers import run_workers

            run_workers(settings, url, settings.workers, args.log_level, args.log_format)


def _check_hub_key(path: Path) -> None:
    """Create or read the hub's key once before any worker starts, so a bad file is one line, not a traceback."""
    from hub.nodes.signatures import HubKey, HubKeyError

    try:
        HubKey.load_or_create(path)
    except (HubKeyError, OSError) as exc:
        raise CommandError(str(exc)) from None


def _run_hub_key(args: argparse.Namespace) -> None:
    from hub.nodes.signatures import HubKey
    from hub.settings import HubSettings

    path = settings_from_args(HubSettings, args).key_file
    _check_hub_key(path)
    print(HubKey.load_or_create(path).public_key.hex())


def _check_identity_key(path: Path) -> None:
    """Make the identity key when missing, or say in one line why the one there is unusable."""
    from hub.forwarding.sealing import IdentityKeyError, IdentitySeal

    try:
        IdentitySeal.from_file(path)
    except IdentityKeyError as exc:
        raise CommandError(str(exc)) from None


def _check_trusted_documents(settings: HubSettings) -> None:
    """Read the trusted documents manifest once before any worker starts: a bad one is one line."""
    from hub.access.trusted import ManifestError, load_trusted_documents

    try:
        load_trusted_documents(settings.trusted_documents, settings.trusted_documents_only)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None


def _run_holidays_load(args: argparse.Namespace) -> None:
    import asyncpg

    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from hub.sla.holidays import load_year, parse_holiday_csv
    from simpul.db.embedded import database_url
    from simpul.progress import Progress, progress

    try:
        text = args.file.read_text(encoding="utf-8-sig")  # spreadsheets often start a CSV with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from None
    holidays = parse_holiday_csv(text, args.year, args.file.name)

    async def load(url: str, shown: Progress) -> None:
        shown.note("migrating the hub's schema")
        await migrate_hub(url)
        shown.advance()
        shown.note(f"writing {len(holidays)} days")
        conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
        try:
            await load_year(conn, cli_principal(), args.year, holidays, f"file {args.file.name}")
        finally:
            await conn.close()
        shown.advance()
        shown.note(f"{len(holidays)} days written")

    # The database (an embedded one starts first), the schema, the year's days: each may be the slow one.
    with progress(f"holidays {args.year}", total=3, unit="steps") as shown:
        shown.note("opening the database")
        with database_url(args.database_url, args.data_dir) as url:
            shown.advance()
            asyncio.run(load(url, shown))
    print(f"loaded {len(holidays)} national holidays for {args.year} from {args.file}")


def _run_holidays_list(args: argparse.Namespace) -> None:
    import asyncpg

    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from hub.sla.calendar import SlaCalendarMissing
    from hub.sla.holidays import year_holidays
    from simpul.db.embedded import database_url
    from simpul.wire import check_region_code

    region = check_region_code(args.region) if args.region else None

    async def show(url: str) -> None:
        await migrate_hub(url)
        conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
        try:
            holidays = await year_holidays(conn, args.year, region)
        except SlaCalendarMissing as exc:
            raise CommandError(str(exc)) from None
        finally:
            await conn.close()
        for h in holidays:
            print(f"{h.day.isoformat()}  {h.region_prefix or 'national':<10}  {h.name}  ({h.source})")

    with database_url(args.database_url, args.data_dir) as url:
        asyncio.run(show(url))


def _run_index_rebuild(args: argparse.Namespace) -> None:
    from hub.index.rebuild import rebuild_nodes
    from simpul.db.embedded import database_url
    from simpul.progress import progress
    from simpul.wire import check_node_code

    code = check_node_code(args.node) if args.node else None
    settings = settings_from_args(HubSettings, args)
    ca_file = pem_file(settings.node_ca_file, "--node-ca-file")
    _check_hub_key(settings.key_file)
    with database_url(settings.database_url, settings.data_dir) as url, \
            progress("index rebuild", unit="nodes") as shown:
        rebuilt = asyncio.run(rebuild_nodes(url, code, shown, settings.key_file, ca_file,
                                            settings.allow_insecure_nodes))
    for r in rebuilt:
        print(f"{r.node}: {r.added} added, {r.corrected} corrected ({r.changes_read} changes, {r.reports} reports)")


def _run_migrate(args: argparse.Namespace) -> None:
    from hub.db.migrate import migrate_hub
    from simpul.db.embedded import database_url

    with database_url(args.database_url, args.data_dir) as url:
        applied = asyncio.run(migrate_hub(url, args.runtime_role))
    for migration in applied:
        print(f"applied {migration.version:04d}_{migration.name}")
    if args.runtime_role:
        print(f"granted role {args.runtime_role} what the hub needs to run")
    print(f"hub schema up to date ({len(applied)} applied)")


def _run_demo(args: argparse.Namespace) -> None:
    from simpul.cli.demo import run_demo

    run_demo(args.port, args.data_dir, {"SIMPUL_LOG_LEVEL": args.log_level, "SIMPUL_LOG_FORMAT": args.log_format})


def _run_schema_export(args: argparse.Namespace) -> None:
    from simpul.cli.schema_files import check_files, write_files

    if args.check:
        stale = check_files(args.out)
        if stale:
            raise CommandError(f"out of date: {', '.join(stale)}; run `simpul schema export`")
        print("schema files match the code")
    else:
        for path in write_files(args.out, args.subgraph):
            print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the `simpul` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.log_format not in FORMATS:  # a default from SIMPUL_LOG_FORMAT is not checked by argparse
        parser.error(f"SIMPUL_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {args.log_format!r}")
    configure_logging(args.log_level, args.log_format)
    signal.signal(signal.SIGTERM, terminate)
    run: Callable[[argparse.Namespace], None] = args.run
    try:
        run(args)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"simpul: error: {exc}", file=sys.stderr)
        sys.exit(1)


def _is_user_error(exc: Exception) -> bool:
    from connectors.base import ConnectorError
    from connectors.hublink import EnrolmentError
    from simpul.cli.demo_data import DemoDataError
    from simpul.db.embedded import EmbeddedPostgresError
    from simpul.db.migrate import MigrationError
    from simpul.errors import InvalidInput
    from simpul.processes import ProcessFailed

    return isinstance(exc, CommandError | ConnectorError | DemoDataError | EnrolmentError | EmbeddedPostgresError
                      | MigrationError | InvalidInput | ProcessFailed | OSError)


if __name__ == "__main__":
    main()
