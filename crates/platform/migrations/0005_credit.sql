-- Credit decision flows: each bank's versions of its policy (GoRules JDM), with the API key
-- that made each and the one that approved it (maker-checker), and its status.
CREATE TABLE credit_flow_versions (
    institution  TEXT NOT NULL REFERENCES institutions(id),
    version      BIGINT NOT NULL,
    rules        TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    maker        TEXT NOT NULL,
    checker      TEXT,
    status       TEXT NOT NULL,
    share        BIGINT NOT NULL DEFAULT 0,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (institution, version)
);

-- Credit decisions, one per bank and request key (a retried request gets the same decision).
-- `answer` is the decision as returned (without the engine's trace, which the rules' version
-- and the application reproduce) and the application it decided, so a draft can replay it.
CREATE TABLE credit_decisions (
    decision_id   TEXT PRIMARY KEY,
    institution   TEXT NOT NULL,
    request_key   TEXT NOT NULL,
    enterprise    TEXT NOT NULL,
    product       TEXT NOT NULL,
    flow_version  BIGINT NOT NULL,
    outcome       TEXT NOT NULL,
    amount        TEXT NOT NULL,
    decided_on    TEXT NOT NULL,
    answer        TEXT NOT NULL,
    digest        TEXT NOT NULL,
    leaf_index    BIGINT NOT NULL,
    created_ms    BIGINT NOT NULL,
    UNIQUE (institution, request_key)
);
CREATE INDEX credit_decisions_by_day ON credit_decisions (institution, decided_on);
