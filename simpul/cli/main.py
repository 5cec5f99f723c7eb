"""The `simpul` command: hub, node <kind>, token, key, user, holidays, migrate, demo, schema export."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from simpul.cli.access_command import add_access_commands, cli_principal
from simpul.cli.args import (
    CommandError,
    Parser,
    count,
    database_args,
    duration,
    hub_key_args,
    listen_args,
    node_call_args,
    pem_file,
    port,
    positive,
    rate,
    tracing_args,
    year,
)
from simpul.cli.node_command import add_node_command
from simpul.cli.process import configure_logging, terminate
from simpul.cli.token_command import add_token_commands
from simpul.logformat import FORMATS

if TYPE_CHECKING:
    from hub.access.trusted import TrustedDocuments

log = logging.getLogger("simpul")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="simpul", description=__doc__)
    parser.add_argument("--log-level", default=os.environ.get("SIMPUL_LOG_LEVEL", "INFO"),
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", default=os.environ.get("SIMPUL_LOG_FORMAT", "text"), choices=FORMATS,
                        help="log lines as text or one JSON object each (env SIMPUL_LOG_FORMAT; default text)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    hub = commands.add_parser("hub", help="run the hub (GraphQL at /graphql)")
    database_args(hub)
    hub_key_args(hub)
    listen_args(hub, 8000)
    hub.add_argument("--workers", type=count, default=1,
                     help="hub processes sharing the port, like uvicorn's workers (default 1; needs SO_REUSEPORT)")
    hub.add_argument("--node-timeout", type=positive, default=5.0,
                     help="seconds one node may take to answer (default 5)")
    hub.add_argument("--deadline", type=positive, default=10.0,
                     help="seconds a whole federated query may take (default 10)")
    hub.add_argument("--heartbeat-grace", type=positive, default=60.0,
                     help="seconds without heartbeat before a node counts unreachable")
    hub.add_argument("--pull-interval", type=positive, default=5.0,
                     help="seconds between pulls of every node's change feed (default 5)")
    hub.add_argument("--stale-after", type=positive, default=30.0,
                     help="seconds after which a node's part of the federation index is named stale (default 30)")
    hub.add_argument("--delivery-workers", type=count, default=4, help="delivery workers (default 4)")
    hub.add_argument("--delivery-max-attempts", type=count, default=80,
                     help="attempts before a delivery goes to dead-letter (default 80, about 3 days)")
    hub.add_argument("--backoff-base", type=positive, default=1.0,
                     help="seconds before the first retry, doubled each attempt (default 1)")
    hub.add_argument("--backoff-cap", type=positive, default=3600.0,
                     help="longest wait between delivery attempts in seconds (default 3600)")
    hub.add_argument("--max-hops", type=count, default=5,
                     help="routings of one report before a return loop is stopped (default 5)")
    hub.add_argument("--sla-verification-days", type=count, default=3,
                     help="working days to verify and forward a report (default 3)")
    hub.add_argument("--sla-follow-up-days", type=count, default=5,
                     help="working days for the holding unit's follow-up (default 5)")
    hub.add_argument("--sla-response-days", type=count, default=10,
                     help="working days after completion before a report is deemed selesai (default 10)")
    hub.add_argument("--deadline-interval", type=positive, default=60.0,
                     help="seconds between looks for newly passed deadlines (default 60)")
    hub.add_argument("--session-ttl", type=duration, default=timedelta(hours=8),
                     help="how long a login lasts, like 30m or 8h (default 8h)")
    hub.add_argument("--rate-principal", type=rate, default="1200/minute",
                     help="requests per API key, user or node (default 1200/minute)")
    hub.add_argument("--rate-public", type=rate, default="30/minute",
                     help="public calls (submit, track, login) per client address (default 30/minute)")
    hub.add_argument("--max-cost", type=count, default=2000,
                     help="nodes one request may call, summed over its fields (default 2000)")
    hub.add_argument("--rate-cost", type=rate, default="20000/minute",
                     help="node calls and ledger scans one principal may cause (default 20000/minute)")
    hub.add_argument("--password-checks", type=count, default=2,
                     help="password checks at once per process, 64 MiB each (default 2)")
    hub.add_argument("--max-sockets", type=count, default=20,
                     help="open WebSockets per principal, or per address for the public (default 20)")
    hub.add_argument("--max-depth", type=count, default=12, help="GraphQL query depth limit (default 12)")
    hub.add_argument("--max-aliases", type=count, default=30, help="GraphQL alias limit (default 30)")
    hub.add_argument("--max-tokens", type=count, default=2000, help="GraphQL token limit (default 2000)")
    hub.add_argument("--max-document-bytes", type=count, default=64 * 1024,
                     help="largest GraphQL document (query text) accepted, before parsing (default 64 KiB)")
    hub.add_argument("--max-body-bytes", type=count, default=1 << 20,
                     help="largest request body accepted (default 1 MiB)")
    hub.add_argument("--no-introspection", action="store_true",
                     help="refuse schema introspection and serve no GraphiQL (for production)")
    hub.add_argument("--trusted-documents", type=Path, metavar="FILE",
                     help="persisted documents a request may name by sha256 (documentId or Apollo's persistedQuery): "
                     "GraphQL Codegen's persisted-documents.json or an Apollo persisted query manifest")
    hub.add_argument("--trusted-documents-only", action="store_true",
                     help="with --trusted-documents: callers other than admins run only those documents")
    hub.add_argument("--metrics-token", default=os.environ.get("SIMPUL_METRICS_TOKEN") or None,
                     help="bearer token /metrics asks for (env SIMPUL_METRICS_TOKEN; default: /metrics is open)")
    hub.add_argument("--metrics-loopback-only", action="store_true",
                     help="without --metrics-token, /metrics answers callers on the loopback only (the image's "
                     "default)")
    node_call_args(hub)
    hub.add_argument("--identity-key-file", type=Path, metavar="FILE",
                     default=Path(os.environ["SIMPUL_IDENTITY_KEY_FILE"]) if os.environ.get("SIMPUL_IDENTITY_KEY_FILE")
                     else None,
                     help="key sealing reporter identities that wait at the hub (env SIMPUL_IDENTITY_KEY_FILE; "
                     "default <data-dir>/identity.key, created 0600 when missing; every replica needs the same file)")
    tracing_args(hub)
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
    database_args(rebuild)
    hub_key_args(rebuild)
    rebuild.add_argument("--node", help="only this node (default: every active node)")
    node_call_args(rebuild)
    rebuild.set_defaults(run=_run_index_rebuild)

    hub_key = commands.add_parser("hub-key", help="make the hub's Ed25519 key pair if missing and print its public "
                                  "key, the one nodes pin at enrolment")
    hub_key.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SIMPUL_DATA_DIR", ".simpul")),
                         help="the hub's data folder (default .simpul), where hub.key is unless --hub-key-file says")
    hub_key_args(hub_key)
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
    export = schema_commands.add_parser("export", help="write schema/node.graphql, hub.graphql, hub.subgraph.graphql")
    export.add_argument("--out", type=Path, default=Path("schema"), help="folder (default schema)")
    export.add_argument("--check", action="store_true",
                        help="do not write; fail when the files differ from the code")
    export.set_defaults(run=_run_schema_export)
    return parser


def _run_hub(args: argparse.Namespace) -> None:
    from hub.access.limits import Limits, QueryLimits
    from hub.app import serve
    from hub.settings import HubSettings
    from simpul.db.embedded import database_url

    settings = HubSettings(
        database_url=args.database_url, data_dir=args.data_dir, hub_key_file=args.hub_key_file,
        host=args.host, port=args.port,
        node_timeout=args.node_timeout, deadline=args.deadline,
        heartbeat_grace=args.heartbeat_grace, pull_interval=args.pull_interval,
        stale_after=args.stale_after,
        delivery_workers=args.delivery_workers, delivery_max_attempts=args.delivery_max_attempts,
        backoff_base=args.backoff_base, backoff_cap=args.backoff_cap, max_hops=args.max_hops,
        sla_verification_days=args.sla_verification_days, sla_follow_up_days=args.sla_follow_up_days,
        sla_response_days=args.sla_response_days, deadline_interval=args.deadline_interval,
        session_ttl=args.session_ttl, max_body_bytes=args.max_body_bytes,
        limits=Limits(rate_principal=args.rate_principal, rate_public=args.rate_public, max_cost=args.max_cost,
                      rate_cost=args.rate_cost, password_checks=args.password_checks, max_sockets=args.max_sockets),
        query_limits=QueryLimits(max_depth=args.max_depth, max_aliases=args.max_aliases,
                                 max_tokens=args.max_tokens, max_document_bytes=args.max_document_bytes,
                                 introspection=not args.no_introspection),
        trusted_documents=_trusted_documents(args),
        metrics_token=args.metrics_token, metrics_loopback_only=args.metrics_loopback_only,
        otlp_endpoint=args.otlp_endpoint,
        allow_insecure_nodes=args.allow_insecure_nodes, node_ca_file=pem_file(args.node_ca_file, "--node-ca-file"),
        identity_key_file=args.identity_key_file,
    )
    _check_hub_key(settings.key_file)
    _check_identity_key(settings.identity_key_path)
    with database_url(settings.database_url, settings.data_dir) as url:
        if args.workers == 1:
            asyncio.run(serve(settings, url))
        else:
            from simpul.cli.workers import run_workers

            run_workers(settings, url, args.workers, args.log_level, args.log_format)


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

    path = HubSettings(data_dir=args.data_dir, hub_key_file=args.hub_key_file).key_file
    _check_hub_key(path)
    print(HubKey.load_or_create(path).public_key.hex())


def _check_identity_key(path: Path) -> None:
    """Make the identity key when missing, or say in one line why the one there is unusable."""
    from hub.forwarding.sealing import IdentityKeyError, IdentitySeal

    try:
        IdentitySeal.from_file(path)
    except IdentityKeyError as exc:
        raise CommandError(str(exc)) from None


def _trusted_documents(args: argparse.Namespace) -> TrustedDocuments | None:
    from hub.access.trusted import ManifestError, TrustedDocuments

    if args.trusted_documents is None:
        if args.trusted_documents_only:
            raise CommandError("--trusted-documents-only needs --trusted-documents FILE")
        return None
    try:
        return TrustedDocuments.load(args.trusted_documents, required=args.trusted_documents_only)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None


def _run_holidays_load(args: argparse.Namespace) -> None:
    import asyncpg

    from hub.db.migrate import migrate_hub
    from hub.settings import SCHEMA
    from hub.sla.holidays import load_year, parse_holiday_csv
    from simpul.db.embedded import database_url

    try:
        text = args.file.read_text(encoding="utf-8-sig")  # spreadsheets often start a CSV with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {args.file}: {exc}") from None
    holidays = parse_holiday_csv(text, args.year, args.file.name)

    async def load(url: str) -> None:
        await migrate_hub(url)
        conn = await asyncpg.connect(url, server_settings={"search_path": SCHEMA})
        try:
            await load_year(conn, cli_principal(), args.year, holidays, f"file {args.file.name}")
        finally:
            await conn.close()

    with database_url(args.database_url, args.data_dir) as url:
        asyncio.run(load(url))
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
    from hub.settings import HubSettings
    from simpul.db.embedded import database_url
    from simpul.wire import check_node_code

    code = check_node_code(args.node) if args.node else None
    ca_file = pem_file(args.node_ca_file, "--node-ca-file")
    key_file = HubSettings(data_dir=args.data_dir, hub_key_file=args.hub_key_file).key_file
    _check_hub_key(key_file)
    with database_url(args.database_url, args.data_dir) as url:
        rebuilt = asyncio.run(rebuild_nodes(url, code, lambda line: print(line, flush=True), key_file, ca_file,
                                            args.allow_insecure_nodes))
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
        for path in write_files(args.out):
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
    from simpul.db.embedded import EmbeddedPostgresError
    from simpul.db.migrate import MigrationError
    from simpul.errors import InvalidInput
    from simpul.processes import ProcessFailed

    return isinstance(exc, CommandError | ConnectorError | EnrolmentError | EmbeddedPostgresError
                      | MigrationError | InvalidInput | ProcessFailed | OSError)


if __name__ == "__main__":
    main()
