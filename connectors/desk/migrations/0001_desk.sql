-- A small complaint desk for a unit that has no system of its own.
CREATE TABLE reports (
    local_id         text COLLATE "C" PRIMARY KEY,
    tracking_number  text NOT NULL UNIQUE,
    kind             text NOT NULL CHECK (kind IN ('PENGADUAN', 'ASPIRASI', 'INFORMASI')),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body             text NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
    category         text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    region_code      text NOT NULL,
    channel          text NOT NULL,
    status           text NOT NULL,
    anonymous        boolean NOT NULL,
    confidential     boolean NOT NULL,
    reporter_name    text,
    reporter_contact text,
    location         text,
    source_id        text,
    received_at      timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK (NOT anonymous OR (reporter_name IS NULL AND reporter_contact IS NULL))
);
CREATE INDEX reports_list_order ON reports (received_at DESC, local_id);

CREATE SEQUENCE report_numbers;

-- The timeline and the change feed the hub pulls: append-only.
CREATE TABLE events (
    seq       bigserial PRIMARY KEY,
    local_id  text COLLATE "C" NOT NULL REFERENCES reports (local_id),
    at        timestamptz NOT NULL,
    status    text NOT NULL,
    actor     text NOT NULL,
    note      text
);
CREATE INDEX events_by_report ON events (local_id, seq);

-- Forwarded reports already accepted, so a repeated delivery creates nothing.
CREATE TABLE accepted_keys (
    idempotency_key text PRIMARY KEY,
    local_id        text COLLATE "C" NOT NULL REFERENCES reports (local_id)
);
