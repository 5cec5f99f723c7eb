-- Verification edits (hub/forwarding/verification.py): an AMEND delivery carries an admin's edits to each node
-- keeping a copy of the report, and the report's timeline gains a VERIFIED event. The event list is
-- hub/forwarding/ledger.py's LedgerEvent in full, as 0018 left it plus VERIFIED.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_purpose_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_purpose_check
    CHECK (purpose IN ('ACCEPT', 'MARK_FORWARDED', 'REPLY', 'AMEND'));
ALTER TABLE ledger_events DROP CONSTRAINT ledger_events_type;
ALTER TABLE ledger_events ADD CONSTRAINT ledger_events_type
    CHECK (type IN ('RECEIVED', 'ROUTED', 'REASSIGNED', 'UNROUTABLE', 'DELIVERED', 'DEAD_LETTER', 'RETRIED', 'STATUS',
                    'RETURNED', 'REPLIED', 'SETTLED', 'TIME_CLAMPED', 'KIP_EXTENDED', 'KIP_ANSWERED', 'KIP_OBJECTED',
                    'KIP_OBJECTION_ANSWERED', 'VERIFIED')) NOT VALID;
