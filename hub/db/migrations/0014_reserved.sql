-- Placeholder on the coverage branch only: 0014 belongs to another part of issue 16 (migrations must be numbered
-- 1..n). When merging, keep the other part's 0014 and delete this file.
SELECT 1;
