"""The `hub` connector: a child hub (a province's own simpul hub) joins its parent hub as one node."""

from connectors.hub.client import ChildHubClient
from connectors.hub.connector import ChildHubConnector

__all__ = ["ChildHubClient", "ChildHubConnector"]
