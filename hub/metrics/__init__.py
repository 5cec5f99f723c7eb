"""Prometheus metrics of a hub process: requests, GraphQL operations, node calls, and gauges read from PostgreSQL.

Every metric and label is listed in docs/observability.md. Labels hold route
templates, node codes, status codes and error codes only: never a path's
values, a principal, a secret or anything about a reporter.
"""
