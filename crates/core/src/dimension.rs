//! The two ways the reference models group indicators: the ten dimensions of the Hunan model
//! (seed 001) and the three-dimension view of seed 003. Indicators carry one of each, and a
//! score is explained per group.

/// The ten dimensions: `(code, English, Chinese)`.
pub const DIMENSIONS: [(&str, &str, &str); 10] = [
    ("growth", "Growth", "成长能力"),
    ("loan_risk", "Loan risk", "借贷风险"),
    ("cash_flow", "Cash flow", "现金流"),
    ("trade", "Upstream and downstream trade", "上下游交易"),
    ("operations", "Operating income and spending", "经营收支"),
    ("related_party", "Related-party trades", "关联交易"),
    ("counterparties", "Counterparties", "交易对手"),
    ("tech_capability", "Technology capability", "科技能力"),
    ("ip", "Intellectual property", "知识产权"),
    ("tax", "Tax behaviour", "纳税行为"),
];

/// The three-dimension view: `(code, English, Chinese)`.
pub const VIEWS: [(&str, &str, &str); 3] = [
    ("financial_health", "Financial health", "财务健康"),
    ("business_activity", "Business activity", "经营活跃"),
    ("development_potential", "Development potential", "发展潜力"),
];

/// English and Chinese labels of a dimension or view code; unknown codes label themselves.
pub fn group_labels(code: &str) -> (&str, &str) {
    DIMENSIONS
        .iter()
        .chain(VIEWS.iter())
        .find(|d| d.0 == code)
        .map(|d| (d.1, d.2))
        .unwrap_or((code, code))
}
