"""The `open311` connector kind: any Open311 GeoReport v2 endpoint as a simpul node."""

from __future__ import annotations

from connectors.open311.config import Open311Config, parse_config
from connectors.open311.connector import Open311Connector

__all__ = ["Open311Config", "Open311Connector", "parse_config"]
