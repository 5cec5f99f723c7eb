"""The child hub as a connector kind: `simpul node hub`."""

from __future__ import annotations

import os

from connectors.hub.client import ChildHubClient
from connectors.hub.connector import ChildHubConnector
from connectors.kinds import BuildContext, Built, ConfigError, optional, require

DEFAULT_KEY_ENV = "SIMPUL_CHILD_HUB_ADMIN_KEY"


def _seconds(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{key!r} must be a number of seconds, not {value!r}")
    return float(value)


class ChildHubKind:
    summary = "a child hub (a province's own simpul hub) joining this hub as one node"
    needs_database = False

    def build(self, context: BuildContext) -> Built:
        url = require(context.config, "url")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"'url' must be the child hub's http(s) base URL, not {url!r}")
        key_env = optional(context.config, "admin_key_env", DEFAULT_KEY_ENV)
        admin_key = os.environ.get(key_env, "").strip()
        if not admin_key:
            raise ConfigError(f"environment variable {key_env} (admin_key_env) must hold an admin key of the "
                              "child hub, from `simpul key create --role admin --region national` run there")
        timeout = _seconds(optional(context.config, "timeout", 10.0, object), "timeout")
        if timeout == 0:
            raise ConfigError("'timeout' must be more than 0 seconds")
        accept_wait = _seconds(optional(context.config, "accept_wait", 1.0, object), "accept_wait")
        client = ChildHubClient(url, admin_key, timeout)
        return Built(ChildHubConnector(context.identity, client, accept_wait, context.on_change))


KIND = ChildHubKind()
