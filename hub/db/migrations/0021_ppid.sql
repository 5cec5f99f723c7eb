-- The PPID of each regional government (UU 14/2008 art. 13: every public body appoints a Pejabat Pengelola
-- Informasi dan Dokumentasi): a permintaan informasi goes to the PPID of the body it is asked of. One node per
-- region (province or kabupaten/kota government); an admin of the region designates it.
CREATE TABLE ppid (
    region_code    text COLLATE "C" PRIMARY KEY CHECK (region_code <> ''),
    node_code      text COLLATE "C" NOT NULL REFERENCES nodes (code),
    designated_by  text NOT NULL,
    designated_at  timestamptz NOT NULL DEFAULT now()
);

-- A routing rule's target is a node, or the PPID of the report's region (a target kind, not one node).
ALTER TABLE routing_rules ALTER COLUMN target_node DROP NOT NULL;
ALTER TABLE routing_rules ADD COLUMN target_ppid boolean NOT NULL DEFAULT false;
ALTER TABLE routing_rules ADD CONSTRAINT routing_rules_one_target CHECK ((target_node IS NULL) = target_ppid);
