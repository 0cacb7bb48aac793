-- Where an upload's quarantined rows are (relative to the data directory; empty when none
-- were), so the operator can read each bad row with its line, field and reason.
ALTER TABLE data_assets ADD COLUMN quarantine_file TEXT;
