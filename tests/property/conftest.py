"""Hypothesis for hostile input: no example database, no deadline, few enough examples for a quick run."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("property", database=None, deadline=None, max_examples=100)
settings.load_profile("property")
