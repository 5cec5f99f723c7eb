"""Shared plumbing of simpul: the `simpul` command, request signing, PostgreSQL."""
