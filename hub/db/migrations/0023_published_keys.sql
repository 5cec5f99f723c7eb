-- A key published in a page (a province portal's, read by every visitor's browser) is public by nature: it may
-- read counts only (hub/access/policy.py PUBLISHABLE_OPERATIONS), and its rate and cost limits count per client
-- address, as the public's do, so one portal's visitors do not share one key's budget.
ALTER TABLE api_keys ADD COLUMN published boolean NOT NULL DEFAULT false;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_published_only_for_integrators
    CHECK (NOT published OR role = 'INTEGRATOR');
