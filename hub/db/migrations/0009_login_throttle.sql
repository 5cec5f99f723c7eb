-- Failed logins per username, shared by every hub process (hub/access/login_throttle.py): the back-off a
-- login waits out and the failures since the last success. A successful login deletes its row.
CREATE TABLE login_failures (
    username        text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures > 0),
    last_failed_at  timestamptz NOT NULL,
    blocked_until   timestamptz NOT NULL
);
