-- Early warnings as the platform serves them: one row per alert episode and institution it is
-- routed to (each monitoring bank or guarantor keeps its own lifecycle: open → acknowledged →
-- resolved with a note; `institution` is empty for an enterprise nobody monitors).
-- `open_key` (institution|enterprise|signal) is set while the alert is not resolved, so the
-- database itself keeps one open alert per institution, enterprise and signal, whoever loads
-- concurrently; NULLs do not collide.
CREATE TABLE alerts (
    alert_id     TEXT PRIMARY KEY,
    institution  TEXT NOT NULL,
    enterprise   TEXT NOT NULL,
    signal       TEXT NOT NULL,
    level        TEXT NOT NULL,
    rule         TEXT NOT NULL,
    description  TEXT NOT NULL,
    evidence     TEXT NOT NULL,
    action_en    TEXT NOT NULL,
    action_zh    TEXT NOT NULL,
    rules        TEXT NOT NULL,
    opened       TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    status       TEXT NOT NULL,
    note         TEXT NOT NULL,
    updated_by   TEXT NOT NULL,
    updated_ms   BIGINT NOT NULL,
    open_key     TEXT UNIQUE
);
CREATE INDEX alerts_by_institution ON alerts (institution, status);
CREATE INDEX alerts_by_enterprise ON alerts (enterprise, signal);
CREATE INDEX alerts_by_time ON alerts (updated_ms);
