-- Permintaan informasi under UU 14/2008 (KIP) art. 22(7)-(8): one written extension and the answer's outcome,
-- kept on the ledger row the SLA clock reads (hub/sla/clocks.py); the events (ledger_events) keep the story.
ALTER TABLE ledger
    ADD COLUMN kip_extension_days integer NOT NULL DEFAULT 0 CHECK (kip_extension_days >= 0),
    ADD COLUMN kip_extension_reason text,
    ADD COLUMN kip_answered_at timestamptz,
    ADD COLUMN kip_outcome text CHECK (kip_outcome IN ('GRANTED', 'REFUSED', 'NOT_HELD')),
    ADD COLUMN kip_exemption text,
    ADD COLUMN kip_objected_at timestamptz,
    ADD COLUMN kip_objection_reason text,
    ADD COLUMN kip_objection_answered_at timestamptz,
    ADD CONSTRAINT ledger_kip_objection_has_reason
        CHECK (kip_objected_at IS NULL OR btrim(coalesce(kip_objection_reason, '')) <> ''),
    ADD CONSTRAINT ledger_kip_objection_answered_after_objection
        CHECK (kip_objection_answered_at IS NULL OR kip_objected_at IS NOT NULL),
    ADD CONSTRAINT ledger_kip_extension_has_reason
        CHECK (kip_extension_days = 0 OR btrim(coalesce(kip_extension_reason, '')) <> ''),
    ADD CONSTRAINT ledger_kip_answer_has_outcome CHECK ((kip_answered_at IS NULL) = (kip_outcome IS NULL)),
    ADD CONSTRAINT ledger_kip_refusal_names_exemption
        CHECK (kip_outcome IS DISTINCT FROM 'REFUSED' OR btrim(coalesce(kip_exemption, '')) <> '');
