-- Each time an enterprise was rescored between batch loads (after an upload): the champion's
-- score on the new indicators, the score it had before, and the upload that caused the change,
-- so that "why did my score move on that day" has an answer.
CREATE TABLE score_history (
    id              TEXT PRIMARY KEY,
    uscc            TEXT NOT NULL,
    at              TEXT NOT NULL,
    cause           TEXT NOT NULL,
    model_version   TEXT NOT NULL,
    as_of           TEXT NOT NULL,
    score           DOUBLE PRECISION NOT NULL,
    grade           TEXT NOT NULL,
    pd              DOUBLE PRECISION NOT NULL,
    previous_as_of  TEXT,
    previous_score  DOUBLE PRECISION,
    previous_grade  TEXT,
    previous_pd     DOUBLE PRECISION,
    created_ms      BIGINT NOT NULL
);
CREATE INDEX score_history_by_enterprise ON score_history (uscc, created_ms);
