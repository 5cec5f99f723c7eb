"""The federation index: one row per report of the federation, fed by every node's change feed."""
