-- The connector's own tables, in its own schema of the agency database.

-- One row per idempotency key of a forwarded report the agency table accepted.
CREATE TABLE simpul_accepted (
    idempotency_key text PRIMARY KEY,
    local_id text NOT NULL,
    tracking_number text NOT NULL,
    source_id text NOT NULL,
    channel text NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX simpul_accepted_local_id ON simpul_accepted (local_id, accepted_at);
CREATE INDEX simpul_accepted_tracking_number ON simpul_accepted (tracking_number);

-- The change feed a trigger on the agency table fills (feed = "trigger"); empty otherwise.
CREATE TABLE simpul_feed (
    seq bigserial PRIMARY KEY,
    local_id text NOT NULL,
    status text,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX simpul_feed_local_id ON simpul_feed (local_id, seq);
