-- The Ombudsman RI's compliance score (penilaian kepatuhan standar pelayanan publik), 0-100, per unit and year:
-- data an admin enters from the Ombudsman's published assessment, never computed by simpul. The unit is a node
-- (its code) or a region's government assessed as a whole (a Kemendagri region code). Its zone (hijau 81-100,
-- kuning 51-80.99, merah 0-50.99) follows from the score and is not stored. Entering a unit's year again replaces
-- the score; every entry is in the audit log (OMBUDSMAN_SCORE_ENTERED).
CREATE TABLE ombudsman_scores (
    unit_kind   text NOT NULL CHECK (unit_kind IN ('NODE', 'REGION')),
    unit        text COLLATE "C" NOT NULL CHECK (length(unit) BETWEEN 1 AND 100),
    region_code text NOT NULL,  -- the unit's region: who may enter it and who may read it
    year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
    score       numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),  -- the Ombudsman's publication it is from
    entered_by  text NOT NULL,
    entered_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_kind, unit, year)
);
CREATE INDEX ombudsman_scores_by_region ON ombudsman_scores (region_code text_pattern_ops, year);
