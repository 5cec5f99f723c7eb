-- Units an admin declares should be connected (keterhubungan): ministries, agencies, OPDs. The province and
-- kabupaten/kota governments are not rows: they come from the Kemendagri region list (hub/coverage/register.py).
-- A withdrawn unit keeps its row, with who withdrew it and why; it leaves the denominator.
CREATE TABLE declared_units (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    region_code       text NOT NULL,  -- its parent region; '' for a national ministry or agency
    node_code         text COLLATE "C",  -- the node it connects as, once enrolled; NULL: none named yet
    sk_number         text CHECK (length(sk_number) BETWEEN 1 AND 200),
    sk_date           date,
    legal_basis       text NOT NULL CHECK (length(legal_basis) BETWEEN 1 AND 500),
    declared_by       text NOT NULL,
    declared_at       timestamptz NOT NULL DEFAULT now(),
    withdrawn_by      text,
    withdrawn_at      timestamptz,
    withdrawal_reason text,
    CHECK ((sk_number IS NULL) = (sk_date IS NULL)),
    CHECK ((withdrawn_at IS NULL) = (withdrawn_by IS NULL) AND (withdrawn_at IS NULL) = (withdrawal_reason IS NULL))
);
CREATE UNIQUE INDEX declared_units_name ON declared_units (region_code, lower(name)) WHERE withdrawn_at IS NULL;
CREATE UNIQUE INDEX declared_units_node ON declared_units (node_code)
    WHERE withdrawn_at IS NULL AND node_code IS NOT NULL;
CREATE INDEX declared_units_by_region ON declared_units (region_code text_pattern_ops) WHERE withdrawn_at IS NULL;
