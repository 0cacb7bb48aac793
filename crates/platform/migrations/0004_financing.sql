-- Financing answers (products matched, credit limits, need signals, offers pushed) are query
-- records of another kind: the same consent checks, receipts, paging and reconciliation.
ALTER TABLE score_queries ADD COLUMN kind TEXT NOT NULL DEFAULT 'score';

-- Need signals loaded from `xinrong signals`, one per enterprise and month-end. A projected
-- shortfall is pushed as offers to the institutions holding a live consent once (pushed_ms).
CREATE TABLE need_signals (
    uscc        TEXT NOT NULL,
    as_of       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    severity    DOUBLE PRECISION NOT NULL,
    amount      TEXT NOT NULL,
    from_month  TEXT NOT NULL,
    to_month    TEXT NOT NULL,
    evidence    TEXT NOT NULL,
    loaded_ms   BIGINT NOT NULL,
    pushed_ms   BIGINT,
    PRIMARY KEY (uscc, as_of)
);
CREATE INDEX need_signals_to_push ON need_signals (pushed_ms, severity);
INSERT INTO generations (name, n) VALUES ('signals', 0);
