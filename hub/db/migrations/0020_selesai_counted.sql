-- Selesai counted by the federation index (issue 16): a national `stats` says how many reports in scope are
-- selesai as the rule says (settled_at, hub/sla/selesai.py; or closed) without scanning the ledger. The counts
-- gain that flag as a dimension, kept by the same triggers, and are rebuilt once here.
ALTER TABLE index_counts ADD COLUMN selesai boolean NOT NULL DEFAULT false;
ALTER TABLE index_counts DROP CONSTRAINT index_counts_pkey;
ALTER TABLE index_counts ADD PRIMARY KEY (status, kind, category, region_code, selesai);
ALTER TABLE index_count_deltas ADD COLUMN selesai boolean NOT NULL DEFAULT false;

CREATE FUNCTION ledger_selesai(status text, settled_at timestamptz) RETURNS boolean LANGUAGE sql IMMUTABLE
    PARALLEL SAFE RETURN settled_at IS NOT NULL OR status = 'CLOSED';

CREATE OR REPLACE FUNCTION index_count_delta() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO index_count_deltas (status, kind, category, region_code, selesai, d)
        VALUES (OLD.status, OLD.kind, OLD.category, index_region(OLD.region_code),
                ledger_selesai(OLD.status, OLD.settled_at), -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO index_count_deltas (status, kind, category, region_code, selesai, d)
        VALUES (NEW.status, NEW.kind, NEW.category, index_region(NEW.region_code),
                ledger_selesai(NEW.status, NEW.settled_at), 1);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER ledger_recounted ON ledger;
CREATE TRIGGER ledger_recounted AFTER UPDATE OF status, kind, category, region_code, settled_at ON ledger
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind
                       OR OLD.category IS DISTINCT FROM NEW.category OR OLD.region_code IS DISTINCT FROM NEW.region_code
                       OR OLD.settled_at IS DISTINCT FROM NEW.settled_at)
    EXECUTE FUNCTION index_count_delta();

LOCK TABLE ledger IN SHARE MODE;  -- no writer adds a delta between the recount and the trigger's next one
DELETE FROM index_count_deltas;
DELETE FROM index_counts;
INSERT INTO index_counts (status, kind, category, region_code, selesai, n)
SELECT status, kind, category, index_region(region_code), ledger_selesai(status, settled_at), count(*)
FROM ledger GROUP BY 1, 2, 3, 4, 5;
