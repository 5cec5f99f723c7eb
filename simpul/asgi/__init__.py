"""ASGI middleware shared by the hub and the connectors: one concept per module."""
