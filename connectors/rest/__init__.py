"""The `rest` connector: an agency's JSON HTTP API as a node, through a TOML mapping."""

from connectors.rest.config import RestConfig, parse
from connectors.rest.connector import RestConnector

__all__ = ["RestConfig", "RestConnector", "parse"]
