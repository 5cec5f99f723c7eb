"""The `desk` connector: a complete small complaint desk for units with no system."""

from connectors.desk.store import DeskConnector, NewReport
from connectors.desk.web import DeskWeb

__all__ = ["DeskConnector", "DeskWeb", "NewReport"]
