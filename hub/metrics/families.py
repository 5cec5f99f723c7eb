"""The hub's metric families, made once per process in their own registry, and the cheap calls that feed them."""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

# Node calls and requests: milliseconds on a LAN to the hub's 10 s deadline.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _db_gauge(name: str, documentation: str, labels: tuple[str, ...], registry: CollectorRegistry) -> Gauge:
    # Read from PostgreSQL by whichever worker was scraped last: that worker's value is the hub's.
    return Gauge(name, documentation, labels, registry=registry, multiprocess_mode="livemostrecent")


class HubMetrics:
    """Every metric one hub process records; each worker of `simpul hub --workers N` has its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # No `_created` series beside every counter and histogram: half the series, nothing lost.
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = registry or CollectorRegistry()
        r = self.registry
        # The process's CPU, memory, file descriptors and GC (one process; multiprocess mode leaves them out).
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        GCCollector(registry=r)
        self.http_requests = Counter(
            "simpul_http_requests", "HTTP requests answered, by route template, method and status.",
            ("route", "method", "status"), registry=r)
        self.http_duration = Histogram(
            "simpul_http_request_duration_seconds", "Time from a request's arrival to its last response byte.",
            ("route", "method", "status"), registry=r, buckets=LATENCY_BUCKETS)
        self.graphql_operations = Counter(
            "simpul_graphql_operations", "GraphQL operations by type and outcome (ok, partial, error).",
            ("type", "outcome"), registry=r)
        self.node_call_duration = Histogram(
            "simpul_node_call_duration_seconds", "Calls from the hub to one node, answered or failed.",
            ("node",), registry=r, buckets=LATENCY_BUCKETS)
        self.node_call_errors = Counter(
            "simpul_node_call_errors", "Node calls that failed, by node, operation and error code.",
            ("node", "operation", "code"), registry=r)
        self.node_calls_skipped = Counter(
            "simpul_node_calls_skipped", "Calls not made because the node's breaker is open (it kept failing), "
            "by node and operation.", ("node", "operation"), registry=r)
        # Set by this process's broadcaster on every change; summed over the live workers.
        self.event_subscribers = Gauge(
            "simpul_event_subscribers", "Live-event subscriptions registered: each hears every event it asks for.",
            (), registry=r, multiprocess_mode="livesum")
        self.deliveries = _db_gauge("simpul_deliveries", "Outbox deliveries waiting (PENDING) or given up (DEAD).",
                                    ("state",), r)
        self.sla_overdue = _db_gauge(
            "simpul_sla_overdue", "Open report stages past their SLA deadline, as announced by DEADLINE_PASSED.",
            ("stage",), r)
        self.nodes = _db_gauge("simpul_nodes", "Registered nodes by status.", ("status",), r)
        self.nodes_reachable = _db_gauge(
            "simpul_nodes_reachable", "Active nodes whose last heartbeat is within the grace.", (), r)
        self.database_up = _db_gauge(
            "simpul_database_up", "1 when the last read of the gauges above from PostgreSQL succeeded.", (), r)
        # Labelled children by their labels: a dict lookup instead of labels() on every request and call.
        self._requests: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}
        self._node_calls: dict[str, Histogram] = {}

    def http_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method if method in METHODS else "OTHER", str(status))
        children = self._requests.get(key)
        if children is None:
            children = self._requests[key] = (self.http_requests.labels(*key), self.http_duration.labels(*key))
        children[0].inc()
        children[1].observe(seconds)

    def node_call(self, node: str, operation: str, seconds: float, error: str | None) -> None:
        """One call to `node` that took `seconds`; `error` is its NodeCallError code when it failed."""
        duration = self._node_calls.get(node)
        if duration is None:
            duration = self._node_calls[node] = self.node_call_duration.labels(node)
        duration.observe(seconds)
        if error is not None:
            self.node_call_errors.labels(node, operation, error).inc()

    def node_call_skipped(self, node: str, operation: str) -> None:
        """A call to `node` the breaker did not make."""
        self.node_calls_skipped.labels(node, operation).inc()

    def graphql_operation(self, type: str, outcome: str) -> None:
        self.graphql_operations.labels(type, outcome).inc()
