-- Admin actions (institutions added, keys issued and revoked, champion changes) commit here
-- together with their change; the process that holds the ledger appends each entry and moves
-- it to admin_actions with its leaf. So `xinrong admin`, which may run beside a server, leaves
-- the same audit trail as the API.
CREATE TABLE ledger_outbox (
    action_id   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    by_whom     TEXT NOT NULL,
    entry       TEXT NOT NULL,
    created_ms  BIGINT NOT NULL
);
CREATE TABLE admin_actions (
    action_id   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    by_whom     TEXT NOT NULL,
    entry       TEXT NOT NULL,
    leaf        BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL
);
CREATE INDEX admin_actions_by_leaf ON admin_actions (leaf);

-- Ledger entries whose record never landed (the process stopped, or the store failed, between
-- the ledger append and the commit): their request was never answered.
CREATE TABLE unacknowledged_entries (
    leaf       BIGINT PRIMARY KEY,
    kind       TEXT NOT NULL,
    ref_id     TEXT NOT NULL,
    noted_ms   BIGINT NOT NULL,
    note_leaf  BIGINT
);
-- How many ledger entries have been reconciled with the records.
INSERT INTO generations (name, n) VALUES ('reconciled', 0);
CREATE INDEX score_queries_by_leaf ON score_queries (leaf);
CREATE INDEX consents_by_grant_leaf ON consents (grant_leaf);
CREATE INDEX consents_by_revoke_leaf ON consents (revoke_leaf);
CREATE INDEX data_assets_by_leaf ON data_assets (leaf);
CREATE INDEX data_assets_by_content ON data_assets (uscc, source, sha256);
