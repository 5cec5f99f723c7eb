-- Nodes sign with Ed25519 key pairs (simpul-v2): the hub keeps each node's public key, which signs nothing.
-- signing_key, the HMAC key of a node enrolled before key pairs (simpul-v1), stays until that node rekeys
-- (/node/rekey, run by the node itself on start) and is dropped at its first Ed25519-signed request.
ALTER TABLE nodes
    ADD COLUMN public_key bytea CHECK (octet_length(public_key) = 32),
    ALTER COLUMN signing_key DROP NOT NULL,
    ADD CONSTRAINT nodes_have_a_key CHECK (public_key IS NOT NULL OR signing_key IS NOT NULL);
