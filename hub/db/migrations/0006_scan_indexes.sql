-- Indexes for the reads that otherwise scan whole tables as the federation grows:
-- the dead-letter list and its gauge (deliveries that gave up are few among many delivered),
-- and the reads by received time (Open311 request lists, the annual compliance window).
CREATE INDEX deliveries_dead ON deliveries (id) WHERE state = 'DEAD';
CREATE INDEX ledger_by_received ON ledger (received_at);
