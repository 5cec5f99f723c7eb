-- The ledger becomes the federation index: one row per report of the federation, identified by where it
-- entered (origin_id = '<origin node>:<its local id>'), shown at its holder, fed by every node's change feed.
-- National reads are answered from it in one query; `live` reads still ask the nodes.

-- Keyset order (received_at desc, origin_id asc) must compare ids as the live merge does: by code point.
ALTER TABLE ledger ALTER COLUMN origin_id TYPE text COLLATE "C";

ALTER TABLE ledger
    -- The agency's own number when the federation's tracking number had to differ (another agency's system
    -- issued the same one first): two agencies' '2024-0001' are two reports.
    ADD COLUMN node_tracking_number text,
    -- Received before its node was connected: the unit's history, indexed with its own status and times,
    -- never made overdue by the connection itself.
    ADD COLUMN history boolean NOT NULL DEFAULT false,
    -- The units that have held it, in order: its door first, then every unit it was delivered to.
    ADD COLUMN chain text[] NOT NULL DEFAULT '{}',
    -- The holder's own time of the newest change the index has applied: a change at or before it is one
    -- the index already shows (a re-read feed, or a change that came with the report's first snapshot).
    ADD COLUMN node_changed_at timestamptz,
    -- Where the report is shown: its holder, or the door it came through while it is being forwarded.
    ADD COLUMN shown_node text COLLATE "C" GENERATED ALWAYS AS (coalesce(holder_node, origin_node)) STORED;

UPDATE ledger SET chain = array_remove(ARRAY[origin_node, CASE WHEN holder_node <> origin_node THEN holder_node END],
                                       NULL);

CREATE INDEX ledger_index_order ON ledger (received_at DESC, origin_id);
CREATE INDEX ledger_index_by_node ON ledger (shown_node, received_at DESC, origin_id);
CREATE INDEX ledger_by_holder_id ON ledger (holder_id);
DROP INDEX ledger_by_holder;  -- shown_node leads ledger_index_by_node; holder_node alone is read with it

-- National counts, kept as the index changes: a GROUP BY over millions of rows is too slow for a national
-- `stats`. Writers only append deltas (no row is contended); a job folds them into index_counts.
-- Regions are kept to the kab/kota (two segments): finer region filters count from the ledger itself.
CREATE TABLE index_counts (
    status       text NOT NULL,
    kind         text NOT NULL,
    category     text NOT NULL,
    region_code  text NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (status, kind, category, region_code)
);
CREATE TABLE index_count_deltas (
    status       text NOT NULL,
    kind         text NOT NULL,
    category     text NOT NULL,
    region_code  text NOT NULL,
    d            integer NOT NULL
);

CREATE FUNCTION index_region(region text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN array_to_string((string_to_array(region, '.'))[1:2], '.');

CREATE FUNCTION index_count_delta() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO index_count_deltas VALUES (OLD.status, OLD.kind, OLD.category, index_region(OLD.region_code), -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO index_count_deltas VALUES (NEW.status, NEW.kind, NEW.category, index_region(NEW.region_code), 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_counted AFTER INSERT OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION index_count_delta();
CREATE TRIGGER ledger_recounted AFTER UPDATE OF status, kind, category, region_code ON ledger
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind
                       OR OLD.category IS DISTINCT FROM NEW.category OR OLD.region_code IS DISTINCT FROM NEW.region_code)
    EXECUTE FUNCTION index_count_delta();

INSERT INTO index_counts
SELECT status, kind, category, index_region(region_code), count(*) FROM ledger GROUP BY 1, 2, 3, 4;

-- Freshness: when each node's feed was last read to its end, and why the last call failed, if it did.
ALTER TABLE feed_watermarks
    ADD COLUMN synced_at timestamptz,
    ADD COLUMN failed_at timestamptz,
    ADD COLUMN error text;

-- Whether the hub can call the node at its endpoint, as the last call found; called_at: when that last changed
-- (NULL: never called yet).
-- A node whose heartbeats arrive but whose endpoint fails is not reachable.
ALTER TABLE nodes
    ADD COLUMN call_error text,
    ADD COLUMN called_at timestamptz;
