//! Matching an enterprise with the products it qualifies for. Each product's rules are
//! evaluated on the enterprise's facts; a product whose rules read a fact the data do not give
//! cannot be decided (and says which fact), never silently granted. For each product that
//! qualifies, a limit and a price; the offers are ranked as an adviser recommends: financing
//! made for the purpose first, then by tier (unsecured, own pledge, guarantee, government
//! scheme, equity), then by what it costs a year. Every answer says which rules passed, which
//! refused and what would change them.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::Value;
use xinrong_decisions::Row;

use crate::catalogue::{Catalogue, Product};
use crate::facts::Facts;
use crate::limit::{Limit, limit};
use crate::pricing::{Price, price};

/// What is asked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// What the financing is for (all purposes when absent).
    pub purpose: Option<String>,
    /// How much is sought (the limit when absent).
    pub amount: Option<Decimal>,
    /// Whether each offer carries the rule engine's trace (the rules' version and the facts,
    /// which every answer keeps, reproduce it; building it costs more than the rules).
    pub trace: bool,
}

/// Where a product stands for the enterprise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It qualifies, and something can be lent.
    Eligible,
    /// A rule refuses it, or its limit is nothing.
    Refused,
    /// A fact the rules need is not in the data.
    CannotDecide,
    /// The product does not finance the purpose asked.
    NotForPurpose,
}

/// A rule that refused, and what would change it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Refusal {
    /// The rule's id.
    pub rule: String,
    /// Why, in English.
    pub reason: String,
    /// Why, in Chinese.
    pub reason_zh: String,
    /// What the enterprise's data would have to show instead.
    pub would_change: Vec<String>,
}

/// One product for one enterprise.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Offer {
    /// Product id.
    pub product: String,
    /// Name in English.
    pub en: String,
    /// Name in Chinese.
    pub zh: String,
    /// Kind of provider.
    pub provider: String,
    /// Order of recommendation.
    pub tier: u8,
    /// Where it stands.
    pub status: Status,
    /// The amount offered (0 unless eligible): the amount asked, at most the limit.
    pub amount: Decimal,
    /// The limit, for products whose rules could be decided (also when they refuse: what the
    /// product would give were the refusal cleared).
    pub limit: Option<Limit>,
    /// The price, for products whose rules could be decided.
    pub price: Option<Price>,
    /// Rules that refused.
    pub refusals: Vec<Refusal>,
    /// Rules that passed (their ids).
    pub passed: Vec<String>,
    /// Facts the rules needed that the data do not give.
    pub missing: Vec<String>,
    /// SHA-256 of the product's rule file: the version of the rules applied.
    pub rules_sha256: String,
    /// The rule engine's trace.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub trace: Value,
}

/// Every product for one enterprise, best first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Match {
    /// The catalogue's version.
    pub catalogue: String,
    /// The offers: eligible ones first, in the order recommended; then the rest.
    pub offers: Vec<Offer>,
    /// Facts taken from the application rather than the data (to be checked before money is
    /// paid), with why.
    pub declared: Vec<String>,
}

impl Match {
    /// The recommended product, if any qualifies.
    pub fn best(&self) -> Option<&Offer> {
        self.offers.first().filter(|o| o.status == Status::Eligible)
    }
}

/// What a refused test would need instead: `> 0.02` on `pd` needs `pd ≤ 0.02`.
fn would_change(row: &Row, facts: &Facts, input: &Value) -> Vec<String> {
    row.tests
        .iter()
        .map(|(field, test)| {
            let now = facts
                .number(field)
                .map(|v| format!("{v:.4}"))
                .or_else(|| input.get(field).map(|v| v.to_string()))
                .unwrap_or_else(|| "missing".into());
            let wanted = negate(test).unwrap_or_else(|| format!("not ({test})"));
            format!("{field} {wanted} (now {now})")
        })
        .collect()
}

fn negate(test: &str) -> Option<String> {
    let t = test.trim();
    for (op, neg) in [(">=", "<"), ("<=", ">"), (">", "≤"), ("<", "≥")] {
        if let Some(rest) = t.strip_prefix(op) {
            return Some(format!("{neg} {}", rest.trim()));
        }
    }
    if let Some(rest) = t.strip_prefix("not in") {
        return Some(format!("in {}", rest.trim()));
    }
    match t {
        "true" => Some("false".into()),
        "false" => Some("true".into()),
        _ if t.starts_with('"') => Some(format!("not one of {t}")),
        _ => None,
    }
}

/// The enterprise's facts, and the same as the JSON object rules read (built once per match).
struct Grounds {
    facts: Facts,
    input: Value,
}

fn evaluate(
    product: &Product,
    rules: &xinrong_decisions::Rules,
    grounds: &Grounds,
    catalogue: &Catalogue,
    request: &Request,
) -> Offer {
    let Grounds { facts, input } = grounds;
    let mut offer = Offer {
        product: product.id.clone(),
        en: product.en.clone(),
        zh: product.zh.clone(),
        provider: product.provider.clone(),
        tier: product.tier,
        status: Status::Refused,
        amount: Decimal::ZERO,
        limit: None,
        price: None,
        refusals: Vec::new(),
        passed: Vec::new(),
        missing: Vec::new(),
        rules_sha256: rules.sha256().to_string(),
        trace: Value::Null,
    };
    if let Some(p) = &request.purpose
        && !product.purposes.contains(p)
    {
        offer.status = Status::NotForPurpose;
        return offer;
    }
    offer.missing = rules
        .inputs()
        .iter()
        .filter(|f| !facts.known(f))
        .cloned()
        .collect();
    if !offer.missing.is_empty() {
        offer.status = Status::CannotDecide;
        return offer;
    }
    let evaluated = match request.trace {
        true => rules.evaluate(input),
        false => rules.evaluate_untraced(input),
    };
    let outcome = match evaluated {
        Ok(o) => o,
        Err(e) => {
            offer.status = Status::CannotDecide;
            offer.missing.push(format!("rules failed: {e}"));
            return offer;
        }
    };
    for row in rules.rows() {
        if outcome.matched.contains(&row.id) {
            let out = |k: &str| {
                row.outputs
                    .iter()
                    .find(|(f, _)| f == k)
                    .map(|(_, v)| v.trim_matches('"').to_string())
                    .unwrap_or_default()
            };
            offer.refusals.push(Refusal {
                rule: row.id.clone(),
                reason: out("reason"),
                reason_zh: out("reason_zh"),
                would_change: would_change(row, facts, input),
            });
        } else {
            offer.passed.push(row.id.clone());
        }
    }
    offer.trace = outcome.trace;
    // The limit and price are worked out even when a rule refuses, so the answer shows what
    // the product would give if the refusal were cleared.
    let pd = facts.number("pd").unwrap_or(1.0);
    let quote = price(product, &catalogue.market, pd, facts.number("sales_12m"));
    let lim = limit(product, facts, quote.rate);
    if !offer.refusals.is_empty() {
        offer.limit = Some(lim);
        offer.price = Some(quote);
        return offer;
    }
    if lim.amount > Decimal::ZERO {
        offer.status = Status::Eligible;
        offer.amount = request
            .amount
            .map_or(lim.amount, |a| a.min(lim.amount))
            .max(product.amount_min.min(lim.amount));
    } else if lim.binding == "missing" {
        offer.status = Status::CannotDecide;
        offer.missing = lim.missing.iter().map(|m| m.to_string()).collect();
    }
    offer.limit = Some(lim);
    offer.price = Some(quote);
    offer
}

/// One product of the catalogue tried for an enterprise (what a credit decision on an
/// application for that product needs), `None` when the catalogue has no such product.
pub fn match_product(
    catalogue: &Catalogue,
    facts: &Facts,
    request: &Request,
    product: &str,
) -> Option<Offer> {
    let (p, rules) = catalogue.product(product)?;
    let (grounds, _) = with_declared(facts, request);
    Some(evaluate(p, rules, &grounds, catalogue, request))
}

/// The facts with the request's own: the purpose, and the equipment an equipment application
/// names (with a line saying so).
fn with_declared(facts: &Facts, request: &Request) -> (Grounds, Vec<String>) {
    let mut facts = facts.clone();
    if facts.purpose.is_none() {
        facts.purpose = request.purpose.clone();
    }
    let mut declared = Vec::new();
    // An application to finance equipment names the equipment, and the amount sought is its
    // price (the lessor checks the purchase invoice before paying): a purchase the orders data
    // do not show yet is not refused for that. The answer says the value was declared.
    if request.purpose.as_deref() == Some("equipment")
        && let Some(asked) = request.amount.and_then(|a| a.to_f64())
        && facts
            .number("equipment_value")
            .is_none_or(|seen| seen < asked)
    {
        facts.set("equipment_value", asked);
        declared.push(format!(
            "equipment_value {asked:.0}: the equipment the application finances"
        ));
    }
    let input = facts.to_json();
    (Grounds { facts, input }, declared)
}

/// Matches an enterprise with every product of the catalogue.
pub fn match_products(catalogue: &Catalogue, facts: &Facts, request: &Request) -> Match {
    let (grounds, declared) = with_declared(facts, request);
    let mut offers: Vec<Offer> = catalogue
        .products
        .iter()
        .map(|(p, rules)| evaluate(p, rules, &grounds, catalogue, request))
        .collect();
    let rank = |o: &Offer| match o.status {
        Status::Eligible => 0,
        Status::Refused => 1,
        Status::CannotDecide => 2,
        Status::NotForPurpose => 3,
    };
    offers.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(a.tier.cmp(&b.tier))
            .then_with(|| {
                let cost = |o: &Offer| o.price.as_ref().map(|p| p.all_in).unwrap_or(Decimal::MAX);
                cost(a).cmp(&cost(b))
            })
            .then(a.product.cmp(&b.product))
    });
    Match {
        catalogue: catalogue.version.clone(),
        offers,
        declared,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A firm some products refuse (PD, overdue days, lawsuits) and others take.
    fn risky_firm() -> Facts {
        let mut facts = Facts::default();
        facts
            .set("pd", 0.045)
            .set("score", 540.0)
            .set("years", 3.0)
            .set("sales_12m", 4.0e6)
            .set("tax_paid_12m", 8.0e4)
            .set("inflows_12m", 4.5e6)
            .set("overdue_days", 45.0)
            .set("debt", 2.5e6)
            .set("lawsuits_12m", 2.0)
            .set("ip_granted", 3.0)
            .set("carbon_allowance_t", 0.0)
            .set("order_value", 6.0e5)
            .set("equipment_value", 0.0);
        facts.grade = Some("D".into());
        facts.tax_rating = Some("C".into());
        facts.specialised = Some(false);
        facts.high_tech = Some(true);
        facts
    }

    #[test]
    fn an_answer_without_traces_is_the_traced_answer_less_its_traces() {
        let catalogue = Catalogue::builtin();
        for purpose in ["working_capital", "order_fulfilment", "equipment", "rnd"] {
            let request = |trace| Request {
                purpose: Some(purpose.into()),
                amount: None,
                trace,
            };
            let mut traced = match_products(&catalogue, &risky_firm(), &request(true));
            let untraced = match_products(&catalogue, &risky_firm(), &request(false));
            let decided = |o: &&Offer| matches!(o.status, Status::Eligible | Status::Refused);
            assert!(
                traced.offers.iter().filter(decided).count() >= 2,
                "{purpose}"
            );
            assert!(
                traced
                    .offers
                    .iter()
                    .filter(decided)
                    .all(|o| o.trace.is_object()),
                "{purpose}"
            );
            assert!(
                untraced.offers.iter().all(|o| o.trace.is_null()),
                "{purpose}"
            );
            assert!(
                untraced.offers.iter().any(|o| !o.refusals.is_empty()),
                "the firm is refused somewhere ({purpose})"
            );
            for offer in &mut traced.offers {
                offer.trace = Value::Null;
            }
            assert_eq!(untraced, traced, "{purpose}");
        }
    }
}
