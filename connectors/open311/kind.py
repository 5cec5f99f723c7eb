"""The open311 connector kind: `simpul node open311 --config open311.toml`."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from connectors.kinds import BuildContext, Built
from connectors.open311.config import parse_config, scan_warning
from connectors.open311.connector import Open311Connector

log = logging.getLogger("simpul.node")


class Open311Kind:
    summary = "any Open311 GeoReport v2 endpoint (JSON or XML), read and posted to over HTTP"
    needs_database = False

    def build(self, context: BuildContext) -> Built:
        config = parse_config(context.config, context.identity)
        if (warning := scan_warning(config, datetime.now(UTC))) is not None:
            log.warning("open311: %s", warning)
        return Built(Open311Connector(context.identity, config, context.data_dir))


KIND = Open311Kind()
