-- Registry of nodes and their enrolment.
CREATE TABLE nodes (
    code            text COLLATE "C" PRIMARY KEY,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    level           text NOT NULL CHECK (level IN ('PUSAT', 'PROVINSI', 'KABKOTA', 'UNIT')),
    region_code     text NOT NULL,
    parent_code     text COLLATE "C" REFERENCES nodes (code),
    categories      text[] NOT NULL DEFAULT '{}',
    endpoint        text NOT NULL,
    kind            text NOT NULL,
    status          text NOT NULL DEFAULT 'ACTIVE'
                    CHECK (status IN ('PENDING', 'ACTIVE', 'SUSPENDED')),
    -- HMAC key derived from the node secret; the secret itself is never stored.
    signing_key     bytea NOT NULL,
    enrolled_at     timestamptz NOT NULL DEFAULT now(),
    last_heartbeat  timestamptz,
    healthy         boolean
);
CREATE INDEX nodes_by_region ON nodes (region_code text_pattern_ops);

-- One-time enrolment tokens, stored as SHA-256 digests.
CREATE TABLE enrolment_tokens (
    token_hash   bytea PRIMARY KEY,
    region_code  text NOT NULL,
    note         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    used_by      text
);

-- Nonces of signed node requests inside the clock-skew window, to refuse replays.
CREATE TABLE seen_nonces (
    node_code  text NOT NULL,
    nonce      text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (node_code, nonce)
);
