//! Batch guarantee agreements (见贷即保): a guarantor and a bank agree criteria, capacity, a fee
//! and how a loss is shared; every loan the bank approves inside the criteria is guaranteed at
//! once, without a second review. The guarantor's running compensation rate is watched: at its
//! warning level the guarantor is alerted, at its cap automatic guarantees stop and each new one
//! goes to manual review.
//!
//! Agreements are data (TOML), checked when loaded: shares that do not add up to one, a cap
//! below its warning level or an empty capacity are refused with the agreement's id.

use std::collections::HashMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::schedule::fen;

/// How the compensation rate is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateBasis {
    /// Compensations over the amount ever guaranteed (代偿额 / 累计担保额).
    #[default]
    Guaranteed,
    /// Compensations over the guarantees released, by repayment or compensation
    /// (代偿额 / 累计解保额): the stricter measure.
    Released,
}

/// How a loss is shared; the four shares add up to one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shares {
    /// The lending bank keeps this share.
    pub bank: Decimal,
    /// The guarantor bears this share net.
    pub guarantor: Decimal,
    /// A re-guarantor (再担保) reimburses the guarantor this share.
    #[serde(default)]
    pub reguarantor: Decimal,
    /// A government risk fund (风险补偿基金) reimburses the guarantor this share.
    #[serde(default)]
    pub government: Decimal,
}

/// What a loan must meet to be guaranteed automatically. An empty list accepts anything.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criteria {
    /// Grades accepted.
    #[serde(default)]
    pub grades: Vec<String>,
    /// Lowest score accepted.
    pub min_score: Option<f64>,
    /// Highest PD accepted.
    pub max_pd: Option<f64>,
    /// Industry codes (GB/T 4754) accepted, as prefixes: `C39` takes every C39xx.
    #[serde(default)]
    pub industries: Vec<String>,
    /// Region codes (GB/T 2260) accepted, as prefixes: `44` takes all of Guangdong.
    #[serde(default)]
    pub regions: Vec<String>,
    /// Products accepted (catalogue ids).
    #[serde(default)]
    pub products: Vec<String>,
    /// Largest loan per firm.
    pub max_amount: Option<Decimal>,
    /// Longest term.
    pub max_term_months: Option<u32>,
}

/// A batch guarantee agreement between a guarantor and a bank.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agreement {
    /// The agreement's id.
    pub id: String,
    /// The guarantor.
    pub guarantor: String,
    /// The bank.
    pub bank: String,
    /// Guarantee fee per year, share of the amount.
    pub fee_rate: Decimal,
    /// Most the guarantor will have outstanding under the agreement.
    pub capacity: Decimal,
    /// Most one firm may have guaranteed at once.
    pub per_firm_cap: Decimal,
    /// Compensation rate at which the guarantor is alerted.
    pub warning_rate: Decimal,
    /// Compensation rate at which automatic guarantees stop.
    pub cap_rate: Decimal,
    /// How the rate is measured.
    #[serde(default)]
    pub basis: RateBasis,
    /// Days past due after which the bank may claim compensation.
    pub compensate_after_days: u32,
    /// What a loan must meet.
    pub criteria: Criteria,
    /// How a loss is shared.
    pub shares: Shares,
}

/// An agreement refused at load.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[error("agreement {id}: {reason}")]
pub struct AgreementError {
    /// The agreement (or the file, when it is not readable at all).
    pub id: String,
    /// Why.
    pub reason: String,
}

/// A file of agreements.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgreementFile {
    agreements: Vec<Agreement>,
}

impl Agreement {
    /// Reads and checks a TOML file of `[[agreements]]`.
    pub fn parse_all(name: &str, text: &str) -> Result<Vec<Agreement>, AgreementError> {
        let file: AgreementFile = toml::from_str(text).map_err(|e| AgreementError {
            id: name.to_string(),
            reason: e.to_string(),
        })?;
        Agreement::check_all(&file.agreements)?;
        Ok(file.agreements)
    }

    /// Checks each agreement and that no id appears twice.
    pub fn check_all(agreements: &[Agreement]) -> Result<(), AgreementError> {
        let mut seen = std::collections::HashSet::new();
        for a in agreements {
            a.check()?;
            if !seen.insert(a.id.as_str()) {
                return Err(a.error("appears twice".into()));
            }
        }
        Ok(())
    }

    fn error(&self, reason: String) -> AgreementError {
        AgreementError {
            id: self.id.clone(),
            reason,
        }
    }

    /// Refuses terms that cannot work.
    pub fn check(&self) -> Result<(), AgreementError> {
        let s = &self.shares;
        let unit = |d: Decimal| (Decimal::ZERO..=Decimal::ONE).contains(&d);
        if ![s.bank, s.guarantor, s.reguarantor, s.government]
            .into_iter()
            .all(unit)
        {
            return Err(self.error("every share must be between 0 and 1".into()));
        }
        let total = s.bank + s.guarantor + s.reguarantor + s.government;
        if total != Decimal::ONE {
            return Err(self.error(format!(
                "shares add up to {total}, not 1 (bank {}, guarantor {}, re-guarantor {}, government {})",
                s.bank, s.guarantor, s.reguarantor, s.government
            )));
        }
        if s.guarantor.is_zero() {
            return Err(self.error("the guarantor's share is zero: nothing is guaranteed".into()));
        }
        if self.capacity <= Decimal::ZERO || self.per_firm_cap <= Decimal::ZERO {
            return Err(self.error("capacity and per-firm cap must be positive".into()));
        }
        if self.capacity > Decimal::from(1_000_000_000_000_000u64) {
            return Err(self.error(format!(
                "capacity {} is more than 10^15 yuan",
                self.capacity
            )));
        }
        if self.compensate_after_days > 3650 {
            return Err(self.error(format!(
                "compensation after {} days is more than ten years",
                self.compensate_after_days
            )));
        }
        if self.per_firm_cap > self.capacity {
            return Err(self.error(format!(
                "per-firm cap {} is above the capacity {}",
                self.per_firm_cap, self.capacity
            )));
        }
        if !(Decimal::ZERO < self.warning_rate && self.warning_rate < self.cap_rate)
            || self.cap_rate > Decimal::ONE
        {
            return Err(self.error(format!(
                "need 0 < warning rate ({}) < cap rate ({}) ≤ 1",
                self.warning_rate, self.cap_rate
            )));
        }
        if !(Decimal::ZERO..Decimal::ONE).contains(&self.fee_rate) {
            return Err(self.error(format!("fee rate {} is not a share", self.fee_rate)));
        }
        if self.id.trim().is_empty()
            || self.guarantor.trim().is_empty()
            || self.bank.trim().is_empty()
        {
            return Err(self.error("id, guarantor and bank are required".into()));
        }
        Ok(())
    }

    /// The share of a loss the guarantor pays the bank at once (its own, the re-guarantor's
    /// and the government fund's, which reimburse it afterwards).
    pub fn covered(&self) -> Decimal {
        Decimal::ONE - self.shares.bank
    }

    /// The criteria a loan fails (empty when it meets them all).
    pub fn failed(&self, loan: &Candidate) -> Vec<Failed> {
        let c = &self.criteria;
        let mut out = Vec::new();
        let mut fail = |criterion: &'static str, reason: String, zh: &'static str| {
            out.push(Failed {
                criterion,
                reason,
                reason_zh: zh,
            })
        };
        let prefixed =
            |list: &[String], code: &str| list.iter().any(|p| code.starts_with(p.as_str()));
        if !c.grades.is_empty() && !c.grades.contains(&loan.grade) {
            fail(
                "grade",
                format!("grade {} is not one of {}", loan.grade, c.grades.join(", ")),
                "评级不在协议范围内",
            );
        }
        if let Some(min) = c.min_score.filter(|m| loan.score < *m) {
            fail(
                "score",
                format!("score {:.0} is below {min:.0}", loan.score),
                "评分低于协议下限",
            );
        }
        if let Some(max) = c.max_pd.filter(|m| loan.pd > *m) {
            fail(
                "pd",
                format!("PD {:.4} is above {max:.4}", loan.pd),
                "违约概率高于协议上限",
            );
        }
        if !c.industries.is_empty() && loan.industry.is_empty() {
            fail(
                "industry",
                "the enterprise's industry is unknown".into(),
                "企业行业未知",
            );
        } else if !c.industries.is_empty() && !prefixed(&c.industries, &loan.industry) {
            fail(
                "industry",
                format!(
                    "industry {} is not covered ({})",
                    loan.industry,
                    c.industries.join(", ")
                ),
                "行业不在协议范围内",
            );
        }
        if !c.regions.is_empty() && loan.region.is_empty() {
            fail(
                "region",
                "the enterprise's region is unknown".into(),
                "企业地区未知",
            );
        } else if !c.regions.is_empty() && !prefixed(&c.regions, &loan.region) {
            fail(
                "region",
                format!(
                    "region {} is not covered ({})",
                    loan.region,
                    c.regions.join(", ")
                ),
                "地区不在协议范围内",
            );
        }
        if !c.products.is_empty() && !c.products.contains(&loan.product) {
            fail(
                "product",
                format!(
                    "product {} is not covered ({})",
                    loan.product,
                    c.products.join(", ")
                ),
                "产品不在协议范围内",
            );
        }
        if let Some(max) = c.max_amount.filter(|m| loan.amount > *m) {
            fail(
                "amount",
                format!("amount {} is above {max}", loan.amount),
                "金额超过单户上限",
            );
        }
        if let Some(max) = c.max_term_months.filter(|m| loan.term_months > *m) {
            fail(
                "term",
                format!("term {} months is above {max}", loan.term_months),
                "期限超过协议上限",
            );
        }
        out
    }
}

/// A loan offered for guarantee.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The bank's loan id.
    pub loan: String,
    /// The borrower.
    pub uscc: String,
    /// Its grade.
    pub grade: String,
    /// Its score.
    pub score: f64,
    /// Its PD.
    pub pd: f64,
    /// Its industry code.
    pub industry: String,
    /// Its region code.
    pub region: String,
    /// The product.
    pub product: String,
    /// Amount.
    pub amount: Decimal,
    /// Term.
    pub term_months: u32,
}

/// A criterion a loan fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failed {
    /// The criterion.
    pub criterion: &'static str,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: &'static str,
}

/// Where an agreement stands against its compensation-rate limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Below the warning level.
    Normal,
    /// At or above the warning level: the guarantor is alerted.
    Warning,
    /// At or above the cap: automatic guarantees stop.
    Stopped,
}

/// Why a loan was not guaranteed automatically.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// It fails the agreement's criteria.
    Criteria {
        /// Which, and why.
        failed: Vec<Failed>,
    },
    /// It would take the agreement past its capacity.
    Capacity {
        /// Outstanding now.
        outstanding: Decimal,
        /// The capacity.
        capacity: Decimal,
    },
    /// It would take the firm past its cap.
    PerFirmCap {
        /// The firm's outstanding guarantees now.
        outstanding: Decimal,
        /// The cap.
        cap: Decimal,
    },
    /// The compensation rate has reached the cap: manual review.
    ManualReview {
        /// The rate now.
        rate: Decimal,
        /// The cap.
        cap: Decimal,
    },
}

impl Refusal {
    /// The refusal's name, as in files, the API and the ledger.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Criteria { .. } => "criteria",
            Refusal::Capacity { .. } => "capacity",
            Refusal::PerFirmCap { .. } => "per_firm_cap",
            Refusal::ManualReview { .. } => "manual_review",
        }
    }
}

/// A guarantee issued.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Certificate {
    /// Certificate id.
    pub id: String,
    /// The agreement.
    pub agreement: String,
    /// The guarantor.
    pub guarantor: String,
    /// The bank.
    pub bank: String,
    /// The loan.
    pub loan: String,
    /// The borrower.
    pub uscc: String,
    /// Amount guaranteed.
    pub amount: Decimal,
    /// The share of a loss the guarantor pays the bank.
    pub covered: Decimal,
    /// Fee for the term.
    pub fee: Decimal,
    /// Issued on.
    pub issued: NaiveDate,
    /// The compensation rate when it was issued (always below the cap).
    pub rate_at_issue: Decimal,
    /// The request key it answered (a retry with the same key gets this certificate back).
    pub request_key: String,
}

/// What a compensation moves, by party.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Compensation {
    /// Exposure at default.
    pub exposure: Decimal,
    /// Paid by the guarantor to the bank now (代偿).
    pub paid_to_bank: Decimal,
    /// Reimbursed to the guarantor by the re-guarantor.
    pub from_reguarantor: Decimal,
    /// Reimbursed to the guarantor by the government fund.
    pub from_government: Decimal,
    /// The guarantor's own loss before recoveries.
    pub guarantor_net: Decimal,
    /// The bank's own loss before recoveries.
    pub bank_net: Decimal,
}

/// The running position of one agreement: what is guaranteed, released and compensated.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Standing {
    /// Ever guaranteed.
    pub guaranteed: Decimal,
    /// Guaranteed and not yet released.
    pub outstanding: Decimal,
    /// Released by repayment.
    pub repaid: Decimal,
    /// Released by compensation (the guaranteed principal still outstanding at default).
    pub defaulted: Decimal,
    /// Paid to banks.
    pub compensated: Decimal,
    /// Recovered after compensation (the guarantor's part).
    pub recovered: Decimal,
    /// Guarantees issued.
    pub certificates: u64,
    /// Sent to manual review because the cap was reached.
    pub manual_reviews: u64,
    by_firm: HashMap<String, Decimal>,
    /// Certificates by request key, for retries within one process (a store keeps its own).
    #[serde(skip)]
    by_key: HashMap<String, Certificate>,
}

impl Standing {
    /// The compensation rate, measured as the agreement says.
    pub fn rate(&self, basis: RateBasis) -> Decimal {
        let denominator = match basis {
            RateBasis::Guaranteed => self.guaranteed,
            RateBasis::Released => self.repaid + self.defaulted,
        };
        if denominator.is_zero() {
            Decimal::ZERO
        } else {
            (self.compensated / denominator).round_dp(6)
        }
    }

    /// Where the rate stands against the agreement's levels.
    pub fn level(&self, agreement: &Agreement) -> Level {
        let rate = self.rate(agreement.basis);
        if rate >= agreement.cap_rate {
            Level::Stopped
        } else if rate >= agreement.warning_rate {
            Level::Warning
        } else {
            Level::Normal
        }
    }

    /// The firm's outstanding guarantees.
    pub fn firm(&self, uscc: &str) -> Decimal {
        self.by_firm.get(uscc).copied().unwrap_or_default()
    }

    /// Guarantees `loan` at once if it meets the criteria, fits the capacity and the firm's
    /// cap, and the compensation rate is below the cap. A request key seen before answers the
    /// certificate it got then, so a retried call never guarantees twice.
    pub fn guarantee(
        &mut self,
        agreement: &Agreement,
        loan: &Candidate,
        request_key: &str,
        date: NaiveDate,
    ) -> Result<Certificate, Refusal> {
        if let Some(done) = self.by_key.get(request_key) {
            return Ok(done.clone());
        }
        let failed = agreement.failed(loan);
        if !failed.is_empty() {
            return Err(Refusal::Criteria { failed });
        }
        if self.outstanding + loan.amount > agreement.capacity {
            return Err(Refusal::Capacity {
                outstanding: self.outstanding,
                capacity: agreement.capacity,
            });
        }
        let firm = self.firm(&loan.uscc);
        if firm + loan.amount > agreement.per_firm_cap {
            return Err(Refusal::PerFirmCap {
                outstanding: firm,
                cap: agreement.per_firm_cap,
            });
        }
        let rate = self.rate(agreement.basis);
        if rate >= agreement.cap_rate {
            self.manual_reviews += 1;
            return Err(Refusal::ManualReview {
                rate,
                cap: agreement.cap_rate,
            });
        }
        self.certificates += 1;
        self.guaranteed += loan.amount;
        self.outstanding += loan.amount;
        *self.by_firm.entry(loan.uscc.clone()).or_default() += loan.amount;
        let certificate = Certificate {
            id: format!("{}-{:06}", agreement.id, self.certificates),
            agreement: agreement.id.clone(),
            guarantor: agreement.guarantor.clone(),
            bank: agreement.bank.clone(),
            loan: loan.loan.clone(),
            uscc: loan.uscc.clone(),
            amount: loan.amount,
            covered: agreement.covered(),
            fee: fen(
                loan.amount * agreement.fee_rate * Decimal::from(loan.term_months)
                    / Decimal::from(12),
            ),
            issued: date,
            rate_at_issue: rate,
            request_key: request_key.to_string(),
        };
        self.by_key
            .insert(request_key.to_string(), certificate.clone());
        Ok(certificate)
    }

    /// Forgets the certificates kept by request key: a caller that keeps its own record of
    /// request keys (the platform's store) need not hold them in memory too.
    pub fn forget_request_keys(&mut self) {
        self.by_key.clear();
    }

    /// Takes back a certificate this position counted for a guarantee that never came to be:
    /// its record was stored while its ledger entry was being made durable, and a crash lost
    /// the entry, so nobody was answered. The position then counts exactly the guarantees that
    /// exist. Its number may be given again, since the certificate was never shown.
    pub fn withdraw_certificate(&mut self, uscc: &str, amount: Decimal) {
        self.certificates = self.certificates.saturating_sub(1);
        self.guaranteed -= amount;
        self.outstanding -= amount;
        if let Some(firm) = self.by_firm.get_mut(uscc) {
            *firm -= amount;
            if firm.is_zero() {
                self.by_firm.remove(uscc);
            }
        }
    }

    /// Takes back a manual review counted for a call that was never answered (see
    /// [`Standing::withdraw_certificate`]).
    pub fn withdraw_manual_review(&mut self) {
        self.manual_reviews = self.manual_reviews.saturating_sub(1);
    }

    /// Releases `amount` of a firm's guarantee as its loan is repaid.
    pub fn release(&mut self, uscc: &str, amount: Decimal) {
        let firm = self.by_firm.entry(uscc.to_string()).or_default();
        let amount = amount.min(*firm);
        *firm -= amount;
        self.outstanding -= amount;
        self.repaid += amount;
    }

    /// The guarantor compensates the bank for a firm's loan in default: `exposure` is what the
    /// borrower owes, `guaranteed` the part of the guarantee still outstanding.
    pub fn compensate(
        &mut self,
        agreement: &Agreement,
        uscc: &str,
        guaranteed: Decimal,
        exposure: Decimal,
    ) -> Compensation {
        let s = &agreement.shares;
        let paid = fen(exposure * agreement.covered());
        let from_reguarantor = fen(exposure * s.reguarantor);
        let from_government = fen(exposure * s.government);
        let firm = self.by_firm.entry(uscc.to_string()).or_default();
        let released = guaranteed.min(*firm);
        *firm -= released;
        self.outstanding -= released;
        self.defaulted += released;
        self.compensated += paid;
        Compensation {
            exposure,
            paid_to_bank: paid,
            from_reguarantor,
            from_government,
            guarantor_net: paid - from_reguarantor - from_government,
            bank_net: exposure - paid,
        }
    }

    /// A recovery after compensation, shared as the loss was; returns the guarantor's part.
    pub fn recover(&mut self, agreement: &Agreement, amount: Decimal) -> Decimal {
        let part = fen(amount * agreement.covered());
        self.recovered += part;
        part
    }
}

#[cfg(test)]
mod tests;
