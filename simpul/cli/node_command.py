"""`simpul node <kind>`: run any installed connector kind as a node, from flags and a TOML file.

The node's identity comes from flags or from the config file's `[node]`
table (flags win); everything else in the file belongs to the kind.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path
from typing import Any

from simpul.cli.args import (
    CommandError,
    database_args,
    listen_args,
    node_tls_args,
    pem_file,
    positive,
    tracing_args,
)
from simpul.cli.process import serve_forever
from simpul.wire import NodeLevel, check_node_code, check_region_code

IDENTITY = ("code", "name", "level", "region", "parent", "categories", "hub_url")


def add_node_command(commands: Any) -> None:
    """The `node` subcommand, with one sub-subcommand per installed connector kind."""
    from connectors.kinds import installed_kinds

    node = commands.add_parser("node", help="run a node connector beside a unit's system")
    node.add_argument("--list", action="store_true", help="list the installed connector kinds")
    node.set_defaults(run=_run_list)
    kinds = node.add_subparsers(dest="kind", metavar="kind")
    for name in sorted(installed_kinds()):
        parser = kinds.add_parser(name, help=f"run a {name} node")
        _node_args(parser)
        parser.set_defaults(run=_run_node)


def _node_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML file: the kind's settings, and [node] identity")
    parser.add_argument("--code", help="node code, e.g. 64.08 or 63.dinkes")
    parser.add_argument("--name", help="the unit's name")
    parser.add_argument("--level", choices=[level.value for level in NodeLevel])
    parser.add_argument("--region", help="Kemendagri region code, e.g. 64.08")
    parser.add_argument("--parent", help="code of the parent node")
    parser.add_argument("--categories", help="comma-separated categories this unit has authority over")
    parser.add_argument("--hub-url", default=os.environ.get("SIMPUL_HUB_URL") or None,
                        help="the hub's base URL (env SIMPUL_HUB_URL)")
    parser.add_argument("--token", default=os.environ.get("SIMPUL_ENROL_TOKEN"),
                        help="one-time enrolment token (env SIMPUL_ENROL_TOKEN): used when no credentials are "
                             "stored, or with --renew")
    parser.add_argument("--renew", action="store_true",
                        default=os.environ.get("SIMPUL_NODE_RENEW", "").lower() in ("1", "true", "yes"),
                        help="trade --token (from `simpul token create --node CODE`) for a new node secret; a "
                             "restart with the same token keeps the renewed one (env SIMPUL_NODE_RENEW=1)")
    parser.add_argument("--public-url", help="URL the hub should call (default http(s)://host:port)")
    parser.add_argument("--heartbeat", type=positive, default=15.0,
                        help="seconds between heartbeats (default 15)")
    parser.add_argument("--tracking-number", metavar="LOCAL_ID", action="append",
                        help="print the federation tracking number of the agency's report LOCAL_ID (repeatable) "
                             "and exit, to tell its reporter (sql, rest, open311)")
    database_args(parser)
    listen_args(parser, 0)
    node_tls_args(parser)
    tracing_args(parser)


def _run_list(args: argparse.Namespace) -> None:
    from connectors.kinds import installed_kinds, load_kind

    if not args.list:
        raise CommandError("name a connector kind (see `simpul node --list`)")
    for name, target in sorted(installed_kinds().items()):
        print(f"{name:<10} {load_kind(name).summary}  [{target}]")


def _read_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise CommandError(f"no config file {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CommandError(f"{path} is not valid TOML: {exc}") from None


def _identity_values(args: argparse.Namespace, config: dict[str, Any]) -> dict[str, Any]:
    node = config.pop("node", {})
    if not isinstance(node, dict):
        raise CommandError("[node] in the config file must be a table")
    unknown = sorted(set(node) - set(IDENTITY))
    if unknown:  # TOML puts every key after a [table] header into that table: a kind's key there is lost
        raise CommandError(f"[node] has unknown keys: {', '.join(unknown)}; [node] takes {', '.join(IDENTITY)},"
                           " and the kind's own keys go above [node] in the file")
    values = {key: getattr(args, key) if getattr(args, key) is not None else node.get(key) for key in IDENTITY}
    for key in ("code", "name", "level", "region", "hub_url"):
        if values[key] is None or (values[key] == "" and key != "region"):
            flag = "--" + key.replace("_", "-")
            raise CommandError(f"{flag} is required (or `{key}` in the config file's [node] table)")
    categories = values["categories"] or []
    values["categories"] = categories.split(",") if isinstance(categories, str) else categories
    return values


def _print_tracking_numbers(args: argparse.Namespace, config: dict[str, Any]) -> None:
    """The numbers a node derives for its agency's reports, from the key in its state folder."""
    from connectors.kinds import ConfigError
    from connectors.numbering import KEY_FILE, FederationNumbers

    node = config.get("node", {})
    code = check_node_code(str(args.code or (node.get("code") if isinstance(node, dict) else None) or ""))
    state_dir = args.data_dir / "nodes" / code
    if not (state_dir / KEY_FILE).exists():
        raise CommandError(f"no tracking-number key in {state_dir}: start the node there first (--data-dir)")
    try:
        numbers = FederationNumbers.load(code, state_dir)
    except ConfigError as exc:
        raise CommandError(str(exc)) from None
    for local_id in args.tracking_number:
        print(f"{local_id}\t{numbers.of(local_id)}")


def _run_node(args: argparse.Namespace) -> None:
    from connectors.base import NodeIdentity
    from connectors.kinds import BuildContext, ConfigError, load_kind
    from connectors.server import NodeServer, NodeSettings
    from simpul.asgi.tracing import start_tracing
    from simpul.db.embedded import database_url

    config = _read_config(args.config)
    if args.tracking_number:
        _print_tracking_numbers(args, config)
        return
    values = _identity_values(args, config)
    try:
        level = NodeLevel(values["level"])
    except ValueError:
        raise CommandError(f"level must be one of {', '.join(NodeLevel)}") from None
    code = check_node_code(str(values["code"]))
    identity = NodeIdentity(
        code=code, name=str(values["name"]), level=level,
        region_code=check_region_code(values["region"]) if values["region"] else "",
        kind=args.kind, parent_code=values["parent"],
        categories=tuple(str(c).strip() for c in values["categories"] if str(c).strip()),
    )
    state_dir = args.data_dir / "nodes" / code
    settings = NodeSettings(
        hub_url=str(values["hub_url"]), state_dir=state_dir, host=args.host, port=args.port,
        public_url=args.public_url, token=args.token, renew=args.renew, heartbeat_interval=args.heartbeat,
        tls_cert=pem_file(args.tls_cert, "--tls-cert"), tls_key=pem_file(args.tls_key, "--tls-key"),
        allow_insecure_hub=args.allow_insecure_hub,
    )
    if (args.tls_cert is None) != (args.tls_key is None):
        raise CommandError("--tls-cert and --tls-key go together")
    kind = load_kind(args.kind)

    def serve(url: str | None) -> None:
        try:
            built = kind.build(BuildContext(identity, config, state_dir, url, lambda: server.poke_soon()))
        except ConfigError as exc:
            raise CommandError(f"{args.config or 'configuration'}: {exc}") from None
        tracing = start_tracing("simpul-node", args.otlp_endpoint,
                                {"service.instance.id": code, "simpul.node.kind": args.kind})
        server = NodeServer(built.connector, settings, built.routes, tracing)
        try:
            serve_forever(server.run())
        finally:
            if tracing is not None:
                tracing.shutdown()  # the spans still queued go to the collector

    if kind.needs_database:
        with database_url(args.database_url, args.data_dir) as url:
            serve(url)
    else:
        serve(None)
