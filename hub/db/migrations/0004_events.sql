-- Live events: the reachability last announced for each node (NODE_UP / NODE_DOWN).
-- A replica flips it in the same transaction that publishes the event, so each
-- transition is announced once however many hub replicas watch.
ALTER TABLE nodes ADD COLUMN announced_reachable boolean NOT NULL DEFAULT false;
