"""The desk as a connector kind: `simpul node desk`."""

from __future__ import annotations

import os
import re

import limits

from connectors.desk.store import DeskConnector
from connectors.desk.web import TRACK_RATE, DeskWeb
from connectors.kinds import BuildContext, Built, ConfigError, optional


class DeskKind:
    summary = "a complete small complaint desk, for units with no system of their own"
    needs_database = True

    def build(self, context: BuildContext) -> Built:
        if context.database_url is None:
            raise ConfigError("the desk needs a PostgreSQL")
        code = context.identity.code
        schema = optional(context.config, "schema", "desk_" + re.sub(r"[^a-z0-9]", "_", code))
        operator_key = optional(context.config, "operator_key", os.environ.get("SIMPUL_DESK_OPERATOR_KEY"))
        track_rate = optional(context.config, "track_rate", TRACK_RATE)
        try:
            limits.parse(track_rate)
        except ValueError:
            raise ConfigError(f"track_rate must be a rate like 10/minute, not {track_rate!r}") from None
        desk = DeskConnector(context.identity, context.database_url, schema)
        return Built(desk, DeskWeb(desk, operator_key, on_change=context.on_change, track_rate=track_rate).routes())


KIND = DeskKind()
