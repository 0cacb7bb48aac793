-- The platform's state. Portable SQL: the same file runs on SQLite and PostgreSQL.
-- Times are milliseconds since the Unix epoch (UTC); dates are ISO 8601 text.

CREATE TABLE institutions (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    uscc        TEXT,
    created_ms  BIGINT NOT NULL
);

-- API keys are kept only as Argon2id hashes (PHC strings); the secret is shown once.
CREATE TABLE api_keys (
    key_id          TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL REFERENCES institutions(id),
    phc             TEXT NOT NULL,
    created_ms      BIGINT NOT NULL,
    revoked_ms      BIGINT
);

CREATE TABLE enterprises (
    uscc           TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    registered_by  TEXT NOT NULL REFERENCES institutions(id),
    created_ms     BIGINT NOT NULL
);

CREATE TABLE consents (
    id              TEXT PRIMARY KEY,
    uscc            TEXT NOT NULL REFERENCES enterprises(uscc),
    institution_id  TEXT NOT NULL REFERENCES institutions(id),
    purpose         TEXT NOT NULL,
    expires         TEXT NOT NULL,
    granted_ms      BIGINT NOT NULL,
    grant_leaf      BIGINT NOT NULL,
    revoked_ms      BIGINT,
    revoke_leaf     BIGINT
);
CREATE INDEX consents_by_enterprise ON consents (uscc);
CREATE INDEX consents_by_institution ON consents (institution_id);

CREATE TABLE models (
    version       TEXT PRIMARY KEY,
    sha256        TEXT NOT NULL,
    artifact      TEXT NOT NULL,
    groups        TEXT NOT NULL,
    publisher     TEXT NOT NULL,
    published_ms  BIGINT NOT NULL,
    leaf          BIGINT NOT NULL,
    champion      BIGINT NOT NULL
);

-- Indicator values of an enterprise as of a date: a JSON object {indicator: number|null}.
CREATE TABLE snapshots (
    uscc    TEXT NOT NULL,
    as_of   TEXT NOT NULL,
    vals    TEXT NOT NULL,
    PRIMARY KEY (uscc, as_of)
);

CREATE TABLE score_queries (
    id              TEXT PRIMARY KEY,
    institution_id  TEXT NOT NULL,
    uscc            TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    consent_id      TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    as_of           TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    pd              DOUBLE PRECISION NOT NULL,
    grade           TEXT NOT NULL,
    result          TEXT NOT NULL,
    leaf            BIGINT NOT NULL,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX score_queries_by_institution ON score_queries (institution_id, created_ms);
CREATE INDEX score_queries_by_enterprise ON score_queries (uscc, created_ms);

CREATE TABLE data_assets (
    id           TEXT PRIMARY KEY,
    uscc         TEXT NOT NULL REFERENCES enterprises(uscc),
    source       TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    rows_read    BIGINT NOT NULL,
    accepted     BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    uploader     TEXT NOT NULL,
    leaf         BIGINT NOT NULL,
    created_ms   BIGINT NOT NULL
);

-- Bumped whenever models or snapshots change, so that a running server (which keeps them in
-- memory) notices changes made by another process, such as `xinrong model publish`.
CREATE TABLE generations (
    name  TEXT PRIMARY KEY,
    n     BIGINT NOT NULL
);
INSERT INTO generations (name, n) VALUES ('models', 0);
INSERT INTO generations (name, n) VALUES ('snapshots', 0);
