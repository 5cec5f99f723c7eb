-- An admin's verification edits, sent by the hub (amendReport), each applied once per key. What changed is kept
-- (title, category, kind, flags), never the reporter: setting anonymous erases the name and contact for good.
CREATE TABLE amendments (
    idempotency_key  text PRIMARY KEY,
    local_id         text COLLATE "C" NOT NULL REFERENCES reports (local_id),
    title            text NOT NULL,
    category         text NOT NULL,
    kind             text NOT NULL,
    anonymous        boolean NOT NULL,
    confidential     boolean NOT NULL,
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX amendments_by_report ON amendments (local_id);
