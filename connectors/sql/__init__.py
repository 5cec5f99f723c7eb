"""The `sql` connector: an agency's existing PostgreSQL database as a node, through a mapping."""

from connectors.sql.connector import SqlConnector
from connectors.sql.mapping import SqlMapping, read_mapping

__all__ = ["SqlConnector", "SqlMapping", "read_mapping"]
