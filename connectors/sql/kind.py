"""The sql connector as a kind: `simpul node sql --config agency.toml`."""

from __future__ import annotations

from connectors.kinds import BuildContext, Built
from connectors.numbering import FederationNumbers
from connectors.sql.connector import SqlConnector
from connectors.sql.mapping import read_mapping


class SqlKind:
    summary = "an agency's existing MySQL/MariaDB or PostgreSQL tables, through a declarative column and value mapping"
    needs_database = False  # it wraps the agency's database, named by dsn or dsn_env

    def build(self, context: BuildContext) -> Built:
        numbers = FederationNumbers.load(context.identity.code, context.data_dir)
        return Built(SqlConnector(context.identity, read_mapping(context.config), numbers, context.on_change))


KIND = SqlKind()
