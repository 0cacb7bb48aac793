-- Records committed beside a ledger entry that did not become durable (the process stopped
-- between the two). Their callers were never answered, and their ledger index is given to the
-- next entry, so they are moved here when the ledger is next opened, with the body they had.
CREATE TABLE unlogged_records (
    kind       TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    leaf       BIGINT NOT NULL,
    body       TEXT NOT NULL,
    moved_ms   BIGINT NOT NULL,
    PRIMARY KEY (kind, record_id)
);
