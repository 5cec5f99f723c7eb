-- What an enrolment token lets a node claim: the categories it may take authority over (routing sends it
-- reports of those), and its level (NULL: any level its region allows). A node no longer names its own.
ALTER TABLE enrolment_tokens
    ADD COLUMN categories text[] NOT NULL DEFAULT '{}',
    ADD COLUMN level text CHECK (level IN ('PUSAT', 'PROVINSI', 'KABKOTA', 'UNIT'));

-- Open renewal tokens grant what their node has today; open tokens for new nodes grant no category.
UPDATE enrolment_tokens t SET categories = n.categories, level = n.level
  FROM nodes n
 WHERE t.node_code = n.code AND t.used_at IS NULL;
