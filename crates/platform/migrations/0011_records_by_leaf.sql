-- Decisions and guarantees are committed beside their ledger entry; when the ledger is opened,
-- those past the last reconciled entry are looked up by leaf (journal::open_ledger), which
-- without these indexes read each table whole at every start.
CREATE INDEX credit_decisions_by_leaf ON credit_decisions (leaf_index);
CREATE INDEX guarantees_by_leaf ON guarantees (leaf_index);
