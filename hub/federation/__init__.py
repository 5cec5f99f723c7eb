"""Federated queries: signed node calls, concurrent fan-out, merging."""
