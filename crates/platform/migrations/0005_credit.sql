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

-- Batch guarantee agreements (见贷即保): the terms a guarantor signed with a bank, and the
-- running position (guaranteed, outstanding, released, compensated, recovered, by firm) that
-- every guarantee, repayment and compensation updates in the same transaction as its record.
CREATE TABLE guarantee_agreements (
    agreement_id  TEXT PRIMARY KEY,
    guarantor     TEXT NOT NULL REFERENCES institutions(id),
    bank          TEXT NOT NULL REFERENCES institutions(id),
    terms         TEXT NOT NULL,
    standing      TEXT NOT NULL,
    leaf_index    BIGINT NOT NULL,
    created_ms    BIGINT NOT NULL
);

-- Every guarantee asked for, issued or not, once per bank and request key.
CREATE TABLE guarantees (
    guarantee_id  TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES guarantee_agreements(agreement_id),
    bank          TEXT NOT NULL,
    request_key   TEXT NOT NULL,
    decision_id   TEXT NOT NULL,
    enterprise    TEXT NOT NULL,
    result        TEXT NOT NULL,
    amount        TEXT NOT NULL,
    answer        TEXT NOT NULL,
    leaf_index    BIGINT NOT NULL,
    created_ms    BIGINT NOT NULL,
    UNIQUE (bank, request_key)
);

-- Loans are their events; balances are derived from them.
CREATE TABLE loans (
    loan_id       TEXT PRIMARY KEY,
    bank          TEXT NOT NULL,
    enterprise    TEXT NOT NULL,
    decision_id   TEXT NOT NULL UNIQUE,
    guarantee_id  TEXT,
    agreement_id  TEXT,
    created_ms    BIGINT NOT NULL
);
CREATE TABLE loan_events (
    loan_id     TEXT NOT NULL REFERENCES loans(loan_id),
    seq         BIGINT NOT NULL,
    event_date  TEXT NOT NULL,
    event       TEXT NOT NULL,
    leaf_index  BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (loan_id, seq)
);
