-- Reporters' replies to the unit's answer (tanggapan), each recorded once per key: the hub's REPLY delivery
-- names its key, the desk's own reply form makes one. The reply's text is also the note of the timeline event
-- that reopens the report.
CREATE TABLE replies (
    idempotency_key  text PRIMARY KEY,
    local_id         text COLLATE "C" NOT NULL REFERENCES reports (local_id),
    text             text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000),
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX replies_by_report ON replies (local_id);
