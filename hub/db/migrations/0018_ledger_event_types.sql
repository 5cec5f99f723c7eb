-- The full list of hub/forwarding/ledger.py's LedgerEvent after 0016 (KIP, evidence) and 0017 (selesai): 0017
-- replaced the CHECK without 0016's types, so the list is said again after both (issue 16's parts, merged).
ALTER TABLE ledger_events DROP CONSTRAINT ledger_events_type;
ALTER TABLE ledger_events ADD CONSTRAINT ledger_events_type
    CHECK (type IN ('RECEIVED', 'ROUTED', 'REASSIGNED', 'UNROUTABLE', 'DELIVERED', 'DEAD_LETTER', 'RETRIED', 'STATUS',
                    'RETURNED', 'REPLIED', 'SETTLED', 'TIME_CLAMPED', 'KIP_EXTENDED', 'KIP_ANSWERED', 'KIP_OBJECTED',
                    'KIP_OBJECTION_ANSWERED')) NOT VALID;
