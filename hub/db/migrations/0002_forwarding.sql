-- No wrong door: admins, routing rules, the ledger of every report, the delivery outbox,
-- and per-node change-feed watermarks.

-- Admin API keys, each scoped to a region subtree ('' is national). Stored as digests.
CREATE TABLE admin_keys (
    id            bigserial PRIMARY KEY,
    key_hash      bytea NOT NULL UNIQUE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    region_code   text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    last_used_at  timestamptz
);

-- (region subtree, category, kind, level) -> the node with authority. NULL matches any.
CREATE TABLE routing_rules (
    id             bigserial PRIMARY KEY,
    region_prefix  text NOT NULL,
    category       text,
    kind           text CHECK (kind IN ('PENGADUAN', 'ASPIRASI', 'INFORMASI')),
    level          text CHECK (level IN ('PROVINSI', 'KABKOTA')),
    target_node    text COLLATE "C" NOT NULL REFERENCES nodes (code),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE NULLS NOT DISTINCT (region_prefix, category, kind, level)
);

-- The hub's ledger: one row per report anywhere in the federation, keyed by tracking number.
CREATE TABLE ledger (
    tracking_number   text PRIMARY KEY,
    origin_id         text NOT NULL UNIQUE,
    submit_key        text UNIQUE,  -- a client's idempotency key for submitReport
    origin_node       text COLLATE "C" REFERENCES nodes (code),
    kind              text NOT NULL,
    title             text NOT NULL,
    body              text NOT NULL,
    category          text NOT NULL,
    region_code       text NOT NULL,
    channel           text NOT NULL,
    anonymous         boolean NOT NULL,
    confidential      boolean NOT NULL,
    reporter_name     text,
    reporter_contact  text,
    location          text,
    received_at       timestamptz NOT NULL,
    status            text NOT NULL,
    holder_node       text COLLATE "C" REFERENCES nodes (code),
    holder_id         text,
    routing           text NOT NULL CHECK (routing IN ('HELD', 'FORWARDING', 'UNROUTABLE', 'DEAD')),
    forwarded_at      timestamptz,
    followed_up_at    timestamptz,
    completed_at      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT anonymous OR (reporter_name IS NULL AND reporter_contact IS NULL))
);
CREATE INDEX ledger_by_holder ON ledger (holder_node);
CREATE INDEX ledger_by_region ON ledger (region_code text_pattern_ops);

-- What happened to each report, in order; `public` events are shown by trackReport.
CREATE TABLE ledger_events (
    seq              bigserial PRIMARY KEY,
    tracking_number  text NOT NULL REFERENCES ledger (tracking_number),
    at               timestamptz NOT NULL,
    type             text NOT NULL,
    node             text,
    status           text,
    note             text,
    public           boolean NOT NULL
);
CREATE INDEX ledger_events_by_report ON ledger_events (tracking_number, seq);

-- The outbox: a row per call the hub owes a node, claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE deliveries (
    id               bigserial PRIMARY KEY,
    tracking_number  text NOT NULL REFERENCES ledger (tracking_number),
    purpose          text NOT NULL CHECK (purpose IN ('ACCEPT', 'MARK_FORWARDED')),
    target_node      text COLLATE "C" NOT NULL REFERENCES nodes (code),
    idempotency_key  text NOT NULL UNIQUE,
    state            text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DONE', 'DEAD', 'CANCELLED')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    accepted_id      text
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'PENDING';
CREATE UNIQUE INDEX deliveries_one_open_accept ON deliveries (tracking_number)
    WHERE state = 'PENDING' AND purpose = 'ACCEPT';

-- How far the hub has read each node's change feed.
CREATE TABLE feed_watermarks (
    node_code  text COLLATE "C" PRIMARY KEY REFERENCES nodes (code),
    cursor     text,
    pulled_at  timestamptz
);
