-- An enterprise's industry class (GB/T 4754), from its business registration: market
-- aggregates are cut by it (its region comes from its code). Empty for enterprises registered
-- before it was kept, or signed up without it.
ALTER TABLE enterprises ADD COLUMN industry TEXT;
