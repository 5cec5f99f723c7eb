-- Selesai as the rule says (issue 16, item 4): a report is selesai when its unit's answer (tanggapan) stood
-- 10 working days with no reply from the reporter. settled_at is that moment, written once by whichever hub
-- replica's closing job (hub/sla/selesai.py) sees it first; a reporter's reply before it reopens the report.
ALTER TABLE ledger ADD COLUMN settled_at timestamptz;
CREATE INDEX ledger_awaiting_selesai ON ledger (completed_at) WHERE status = 'COMPLETED' AND settled_at IS NULL;

-- The reporter's replies (REPLIED) and the closings (SETTLED) join the ledger's events.
ALTER TABLE ledger_events DROP CONSTRAINT ledger_events_type;
ALTER TABLE ledger_events ADD CONSTRAINT ledger_events_type
    CHECK (type IN ('RECEIVED', 'ROUTED', 'REASSIGNED', 'UNROUTABLE', 'DELIVERED', 'DEAD_LETTER', 'RETRIED', 'STATUS',
                    'RETURNED', 'REPLIED', 'SETTLED')) NOT VALID;

-- A reply is owed to the unit holding the report: a REPLY delivery names the REPLIED event it carries.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_purpose_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_purpose_check
    CHECK (purpose IN ('ACCEPT', 'MARK_FORWARDED', 'REPLY'));
ALTER TABLE deliveries ADD COLUMN reply_event bigint REFERENCES ledger_events (seq);
ALTER TABLE deliveries ADD CONSTRAINT deliveries_reply_carries_its_event
    CHECK ((purpose = 'REPLY') = (reply_event IS NOT NULL));
