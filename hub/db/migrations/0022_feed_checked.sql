-- A node that checks its own change feed at each heartbeat against the hub's watermark, and pokes the hub when
-- it has news, is not pulled on the hub's rounds while those heartbeats keep coming (hub/forwarding/feeds.py):
-- an idle federation of a thousand nodes costs the hub its heartbeats, not a feed call per node per round.
ALTER TABLE feed_watermarks ADD COLUMN checked_at timestamptz;
