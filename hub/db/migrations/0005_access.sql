-- Access control: every principal that is not a node or the public.
-- API keys (machines) take over the admin keys, with a role and, for
-- integrators, the operations they may call. Users (humans) log in with a
-- password (argon2) and get a short-lived session. Secrets are stored hashed.
ALTER TABLE admin_keys RENAME TO api_keys;
ALTER TABLE api_keys ADD COLUMN role text NOT NULL DEFAULT 'ADMIN'
    CHECK (role IN ('ADMIN', 'SUPERVISOR', 'INTEGRATOR'));
ALTER TABLE api_keys ADD COLUMN operations text[];  -- integrators only: root fields allowed
ALTER TABLE api_keys ADD COLUMN created_by text NOT NULL DEFAULT 'cli';
ALTER TABLE api_keys ADD CONSTRAINT api_keys_operations_only_for_integrators
    CHECK ((role = 'INTEGRATOR') = (operations IS NOT NULL));

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role           text NOT NULL CHECK (role IN ('ADMIN', 'SUPERVISOR')),
    region_code    text NOT NULL,
    password_hash  text NOT NULL,
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    disabled_at    timestamptz,
    last_login_at  timestamptz
);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    ended_at    timestamptz
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The audit log: appended to in the transaction of the change it records,
-- never updated or deleted (the trigger refuses it, whoever asks).
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text NOT NULL,
    role         text NOT NULL,
    action       text NOT NULL,
    target       text NOT NULL,
    region_code  text,
    request_id   text,
    detail       jsonb
);
CREATE INDEX audit_log_region ON audit_log (region_code text_pattern_ops, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
