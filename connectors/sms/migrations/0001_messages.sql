-- Every message the SMS gateway delivered, once per gateway message id (a gateway retries).
CREATE TABLE messages (
    message_id   text PRIMARY KEY,
    received_at  timestamptz NOT NULL,
    local_id     text,                 -- the report the message created, if it created one
    reply        text NOT NULL,        -- our answer, kept to send again until it is delivered
    reply_to     text,                 -- the gateway's sender address; erased once the reply is delivered
    replied_at   timestamptz,
    CHECK ((replied_at IS NULL) = (reply_to IS NOT NULL))
);
CREATE INDEX messages_unreplied ON messages (received_at) WHERE replied_at IS NULL;
