"""Hub settings: one frozen value, read once at the edge and passed down."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from hub.access.limits import Limits, QueryLimits
from hub.access.trusted import TrustedDocuments
from hub.sla.zones import ZoneThresholds
from simpul.signing import DEFAULT_MAX_SKEW

SCHEMA = "hub"


@dataclass(frozen=True)
class HubSettings:
    database_url: str | None = None  # None: embedded PostgreSQL under data_dir
    data_dir: Path = Path(".simpul")
    hub_key_file: Path | None = None  # the hub's private key, outside the database; None: <data_dir>/hub.key
    host: str = "127.0.0.1"
    port: int = 8000
    node_timeout: float = 5.0  # seconds one node may take to answer
    deadline: float = 10.0  # seconds a whole federated query may take
    heartbeat_grace: float = 60.0  # a node is unreachable after this long without a heartbeat
    max_skew: float = DEFAULT_MAX_SKEW  # seconds a signed request may be off our clock
    pull_interval: float = 5.0  # seconds between pulls of each node's change feed
    stale_after: float = 30.0  # a node's part of the federation index is stale when its feed is older than this
    delivery_workers: int = 4  # concurrent delivery workers in this process
    delivery_max_attempts: int = 80  # then the delivery goes to dead-letter (about 3 days at the cap)
    backoff_base: float = 1.0  # seconds before the first retry; doubles each attempt
    backoff_cap: float = 3600.0  # longest wait between attempts
    max_hops: int = 5  # routings of one report before a return loop is stopped
    sla_verification_days: int = 3  # working days to verify and forward a report
    sla_follow_up_days: int = 5  # working days for the holding unit's follow-up (tindak lanjut)
    sla_response_days: int = 10  # working days after completion before it is deemed selesai
    deadline_interval: float = 60.0  # seconds between looks for newly passed deadlines
    session_ttl: timedelta = timedelta(hours=8)  # a login lasts this long
    max_body_bytes: int = 1 << 20  # larger request bodies are refused with 413
    limits: Limits = field(default_factory=Limits)  # rate and cost limits
    query_limits: QueryLimits = field(default_factory=QueryLimits)  # depth, aliases, tokens, introspection
    zones: ZoneThresholds = field(default_factory=ZoneThresholds)  # where compliance zones change
    trusted_documents: TrustedDocuments | None = None  # persisted documents a request may name by hash
    metrics_token: str | None = field(default=None, repr=False)  # None: /metrics open to anyone who reaches it
    metrics_loopback_only: bool = False  # without the token, /metrics answers loopback callers only
    allow_insecure_nodes: bool = False  # accept plain-http node endpoints off loopback (labs only)
    node_ca_file: Path | None = None  # CA bundle trusted for node certificates, beside the system's CAs
    otlp_endpoint: str | None = None  # OTLP/HTTP collector for traces; None: OTEL_EXPORTER_OTLP_* env, else off
    identity_key_file: Path | None = None  # seals reporter identities waiting at the hub; None: data_dir/identity.key

    @property
    def key_file(self) -> Path:
        """Where the hub's Ed25519 private key lives; every replica of one hub must read the same key."""
        return self.hub_key_file or self.data_dir / "hub.key"

    @property
    def identity_key_path(self) -> Path:
        """Where the key sealing reporter identities that wait at the hub lives, outside the database."""
        return self.identity_key_file or self.data_dir / "identity.key"
