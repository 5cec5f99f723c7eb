-- What happened to a report is one of the events hub/forwarding/ledger.py's LedgerEvent names (NOT VALID: rows
-- written before are not read again; every type the hub has written is in the list).
ALTER TABLE ledger_events ADD CONSTRAINT ledger_events_type
    CHECK (type IN ('RECEIVED', 'ROUTED', 'REASSIGNED', 'UNROUTABLE', 'DELIVERED', 'DEAD_LETTER', 'RETRIED', 'STATUS',
                    'RETURNED')) NOT VALID;
