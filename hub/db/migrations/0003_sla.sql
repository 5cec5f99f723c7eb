-- SLA clock: the holiday calendars it counts working days with, and which deadlines were announced.

-- Days off beyond weekends. region_prefix '' is the national calendar; any other prefix adds
-- local holidays for that region subtree (e.g. a kabupaten's anniversary).
CREATE TABLE holidays (
    region_prefix  text NOT NULL DEFAULT '',
    day            date NOT NULL,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region_prefix, day)
);

-- Years whose whole national calendar an admin loaded (`simpul holidays load`). A loaded year
-- replaces lokal-id's calendar for that year; a year neither has stops the SLA clock with an error.
CREATE TABLE holiday_years (
    year       integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 2200),
    loaded_at  timestamptz NOT NULL DEFAULT now(),
    source     text NOT NULL
);

-- Stage deadlines already announced as DEADLINE_PASSED, one '<stage>:<start in epoch microseconds>'
-- per stage instance, written in the transaction that publishes the event.
ALTER TABLE ledger ADD COLUMN overdue_notified text[] NOT NULL DEFAULT '{}';
