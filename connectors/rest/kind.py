"""The rest kind: `simpul node rest --config agency.toml`."""

from __future__ import annotations

from connectors.kinds import BuildContext, Built
from connectors.rest.config import parse
from connectors.rest.connector import RestConnector


class RestKind:
    summary = "an agency's JSON HTTP API, through a mapping of endpoints, paging and field paths"
    needs_database = False

    def build(self, context: BuildContext) -> Built:
        return Built(RestConnector(context.identity, parse(context.config), context.data_dir))


KIND = RestKind()
