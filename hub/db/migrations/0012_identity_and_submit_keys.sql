-- Issue 14: no reporter identity in clear at the hub, and idempotency keys that belong to their caller.

-- A hub-door report's identity waits for its delivery sealed (AES-GCM, key outside the database; hub/sealing.py)
-- and is erased when its unit accepts it.
ALTER TABLE ledger ADD COLUMN sealed_identity bytea;
ALTER TABLE ledger ADD CONSTRAINT ledger_anonymous_keeps_no_identity
    CHECK (NOT anonymous OR sealed_identity IS NULL);

-- Purge every clear identity some unit holds: reports first seen in a node's feed (their door has them) and
-- hub-door reports already delivered (their holder has them). Those of hub-door reports still waiting for a
-- unit (FORWARDING, UNROUTABLE, DEAD) stay until the hub, at start-up, seals them (seal_clear_identities).
UPDATE ledger SET reporter_name = NULL, reporter_contact = NULL
WHERE (reporter_name IS NOT NULL OR reporter_contact IS NOT NULL)
  AND (origin_node IS NOT NULL OR routing = 'HELD');

-- Nothing writes them in clear again (NOT VALID: the rows above keep theirs until sealed).
ALTER TABLE ledger ADD CONSTRAINT ledger_no_clear_identity
    CHECK (reporter_name IS NULL AND reporter_contact IS NULL) NOT VALID;

-- submit_key is '<caller>:<key>' from now on; the digest tells a repeat from different content under one key.
ALTER TABLE ledger ADD COLUMN submit_digest bytea;
