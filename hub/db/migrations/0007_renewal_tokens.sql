-- A token created for one enrolled node renews that node's secret (rotation, or after a leak)
-- instead of enrolling a new node. A token not yet used can be withdrawn (sent to the wrong person, say).
ALTER TABLE enrolment_tokens
    ADD COLUMN node_code text COLLATE "C" REFERENCES nodes (code),
    ADD COLUMN withdrawn_at timestamptz;
