-- Reserved for another part of issue 16 (kip-evidence branch only, so that 0016 applies in order):
-- the lead drops this file when merging that part's 0014.
SELECT 1;
