//! The kinds of entry the platform writes to its ledger.
//!
//! Entries hold identifiers of enterprises and institutions and hashes of content, never
//! personal data: a person's name, ID number or account is not something a public audit log
//! may keep forever. Each entry is logged as canonical JSON ([`crate::canonical_json`]), so
//! its hash can be recomputed by anyone from the fields.

use serde::{Deserialize, Serialize};
use xinrong_core::Uscc;

use crate::canonical::canonical_json_of;

/// One event the platform is accountable for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Entry {
    /// An enterprise data asset (a data file) was registered.
    DataAssetRegistered {
        /// The enterprise the data describes.
        enterprise: Uscc,
        /// Name of the data set.
        dataset: String,
        /// `"<alg>:<hex>"` hash of the file's bytes (SHA-256 or SM3, as the log's suite).
        content_hash: String,
        /// Size of the file in bytes.
        bytes: u64,
        /// Schema or source name the data follows.
        schema: String,
        /// Who provided the data.
        provider: String,
        /// When it was registered (RFC 3339, UTC).
        time: String,
    },
    /// A data set covering many enterprises (a provider's delivery, a portfolio extract) was
    /// registered.
    DatasetRegistered {
        /// Name of the data set.
        dataset: String,
        /// `"<alg>:<hex>"` hash of the file's bytes.
        content_hash: String,
        /// Size of the file in bytes.
        bytes: u64,
        /// Schema or source name the data follows.
        schema: String,
        /// Who provided the data.
        provider: String,
        /// When it was registered (RFC 3339, UTC).
        time: String,
    },
    /// An enterprise authorised an institution to query it for a purpose.
    ConsentGranted {
        /// Platform id of the consent.
        consent_id: String,
        /// The enterprise giving consent.
        enterprise: Uscc,
        /// The institution receiving it.
        institution: String,
        /// Purpose (pre-loan assessment, in-loan review, …).
        purpose: String,
        /// Last day the consent is valid (RFC 3339 date).
        expires: String,
        /// When it was granted.
        time: String,
    },
    /// An enterprise withdrew a consent.
    ConsentRevoked {
        /// The consent withdrawn.
        consent_id: String,
        /// The enterprise.
        enterprise: Uscc,
        /// The institution that held the consent.
        institution: String,
        /// Its purpose.
        purpose: String,
        /// When it was revoked.
        time: String,
    },
    /// An institution obtained an enterprise's score.
    ScoreQuery {
        /// Platform id of the query.
        query_id: String,
        /// The querying institution.
        institution: String,
        /// The enterprise scored.
        enterprise: Uscc,
        /// The purpose stated (and consented to).
        purpose: String,
        /// The model version used.
        model_version: String,
        /// The score returned.
        score: f64,
        /// The grade returned.
        grade: String,
        /// Hash of the indicator values the score was computed from.
        inputs_hash: String,
        /// When.
        time: String,
    },
    /// A model version was published to the registry.
    ModelPublished {
        /// The version name.
        model_version: String,
        /// Hash of the model artifact.
        model_hash: String,
        /// Who published it.
        publisher: String,
        /// When.
        time: String,
    },
    /// An institution was registered on the platform.
    InstitutionAdded {
        /// Platform id of the action (the same action is never logged twice).
        action_id: String,
        /// The institution's id.
        institution: String,
        /// Its kind (operator, bank, guarantor, enterprise, regulator).
        institution_kind: String,
        /// An enterprise's USCC.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enterprise: Option<Uscc>,
        /// Who did it: an operator's institution id, or `cli:<user>` for the admin command.
        by: String,
        /// When.
        time: String,
    },
    /// An API key was issued to an institution.
    KeyIssued {
        /// Platform id of the action.
        action_id: String,
        /// The key's id (never the secret).
        key_id: String,
        /// The institution it belongs to.
        institution: String,
        /// Who issued it.
        by: String,
        /// When.
        time: String,
    },
    /// An API key was revoked.
    KeyRevoked {
        /// Platform id of the action.
        action_id: String,
        /// The key's id.
        key_id: String,
        /// The institution it belonged to.
        institution: String,
        /// Who revoked it.
        by: String,
        /// When.
        time: String,
    },
    /// Scoring switched to another champion model.
    ChampionChanged {
        /// Platform id of the action.
        action_id: String,
        /// The new champion.
        model_version: String,
        /// The champion it replaced, if there was one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
        /// Who changed it.
        by: String,
        /// When.
        time: String,
    },
    /// Entries whose request was never answered: each was logged, then the process stopped
    /// (or its store failed) before the record was committed, so no caller holds a receipt
    /// for it. Logged when the platform reconciles its ledger with its records.
    EntriesUnacknowledged {
        /// Leaf indexes of those entries.
        leaves: Vec<u64>,
        /// Why they are unacknowledged.
        reason: String,
        /// When this was found.
        time: String,
    },
    /// An institution (or the enterprise itself) obtained a financing answer: the products
    /// matched, a credit limit and price, the need signals, or an offer pushed to it.
    FinancingQuery {
        /// Platform id of the query.
        query_id: String,
        /// Who asked (or was offered).
        institution: String,
        /// The enterprise.
        enterprise: Uscc,
        /// `match`, `limit`, `signals` or `offer`.
        answer: String,
        /// The purpose stated (and consented to).
        purpose: String,
        /// The scorecard version whose PD the answer used.
        model_version: String,
        /// The product catalogue's version.
        catalogue_version: String,
        /// Hash of the indicator values used.
        inputs_hash: String,
        /// Hash of the answer as returned (its canonical JSON).
        answer_hash: String,
        /// When.
        time: String,
    },
    /// A bank's credit decision, made by a versioned decision flow.
    CreditDecision {
        /// Platform id of the decision.
        decision_id: String,
        /// The bank.
        institution: String,
        /// The enterprise.
        enterprise: Uscc,
        /// The product applied for.
        product: String,
        /// The flow's version (0: the platform's built-in policy).
        flow_version: u32,
        /// SHA-256 of the flow's rule text.
        rules_sha256: String,
        /// approve / refer / decline.
        outcome: String,
        /// Amount approved, in yuan (a decimal string).
        amount: String,
        /// The decision's digest (its inputs, outcome, reasons and version).
        digest: String,
        /// When.
        time: String,
    },
    /// A version of a bank's decision flow changed status: submitted by its maker, approved by
    /// a checker, made champion or challenger.
    FlowVersion {
        /// The bank.
        institution: String,
        /// The version.
        version: u32,
        /// `submitted`, `approved`, `champion` or `challenger`.
        action: String,
        /// The API key that acted (maker or checker).
        by: String,
        /// SHA-256 of the rule text.
        rules_sha256: String,
        /// When.
        time: String,
    },
    /// A guarantor's automatic decision on a bank's loan under a batch agreement.
    GuaranteeDecision {
        /// Platform id of the decision (the certificate's id when issued).
        decision_id: String,
        /// The agreement.
        agreement: String,
        /// The guarantor.
        guarantor: String,
        /// The bank.
        bank: String,
        /// The enterprise.
        enterprise: Uscc,
        /// `issued`, `criteria`, `capacity`, `per_firm_cap` or `manual_review`.
        decision: String,
        /// Amount guaranteed, in yuan (a decimal string: money is never a float).
        amount: String,
        /// Hash of the answer (criteria failed, rates, fee) as returned.
        rule_trace_hash: String,
        /// When.
        time: String,
    },
    /// A guarantor signed a batch guarantee agreement with a bank.
    GuaranteeAgreement {
        /// Platform id of the agreement.
        agreement_id: String,
        /// The guarantor.
        guarantor: String,
        /// The bank.
        bank: String,
        /// SHA-256 of the terms' canonical JSON.
        terms_sha256: String,
        /// When.
        time: String,
    },
    /// Something happened to a loan: disbursed, repaid, defaulted, compensated, recovered…
    LoanEvent {
        /// Platform id of the loan.
        loan_id: String,
        /// Who recorded it (the bank, or the guarantor for a compensation).
        institution: String,
        /// The borrower.
        enterprise: Uscc,
        /// 1, 2, … within the loan.
        seq: u64,
        /// The event's kind.
        event: String,
        /// Its amount, in yuan (a decimal string), empty when it has none.
        amount: String,
        /// The loan's state after it.
        state: String,
        /// SHA-256 of the event's canonical JSON.
        event_sha256: String,
        /// When it was recorded.
        time: String,
    },
    /// An early warning raised, updated, acknowledged or resolved.
    AlertAction {
        /// Platform id of the alert.
        alert_id: String,
        /// The institution it is routed to (empty when no institution monitors the enterprise).
        institution: String,
        /// The enterprise it is about.
        enterprise: Uscc,
        /// Its signal (one open alert per enterprise and signal).
        signal: String,
        /// Its level after the action.
        level: String,
        /// `raised`, `updated`, `acknowledged` or `resolved`.
        action: String,
        /// Who: the loader (operator) or the institution acting on it.
        by: String,
        /// SHA-256 of the evidence and rule version (raised, updated) or of the note.
        detail_sha256: String,
        /// When.
        time: String,
    },
}

impl Entry {
    /// The canonical JSON text to log.
    pub fn to_canonical(&self) -> String {
        canonical_json_of(self).expect("entries serialise")
    }

    /// Parses a logged entry.
    pub fn parse(text: &str) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The current time in the form entries use.
    pub fn now() -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_canonical_and_parse_back() {
        let entry = Entry::ScoreQuery {
            query_id: "q-1".into(),
            institution: "bank-a".into(),
            enterprise: "91350100M000100Y43".parse().unwrap(),
            purpose: "pre_loan".into(),
            model_version: "v3".into(),
            score: 612.0,
            grade: "C1".into(),
            inputs_hash: "sha256:00".into(),
            time: "2026-11-22T06:00:00.000Z".into(),
        };
        let text = entry.to_canonical();
        assert!(
            text.starts_with(r#"{"enterprise":"91350100M000100Y43","grade":"C1","inputs_hash""#),
            "{text}"
        );
        assert!(text.contains(r#""kind":"score_query""#) && text.contains(r#""score":612,"#));
        assert_eq!(Entry::parse(&text).unwrap(), entry);
    }
}
