"""Forwarding: submission, routing, the ledger, delivery, feeds and the parent link ("no wrong door")."""
