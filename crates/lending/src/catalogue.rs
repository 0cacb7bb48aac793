//! The product catalogue: data, not code. A catalogue is a TOML file of products (provider,
//! purposes, amounts, term, collateral, pricing inputs) and one JDM rule file per product, so
//! a bank changes a product by editing files, and the catalogue's version and hash go with
//! every answer it gives. A catalogue is checked whole when it is loaded: any product or rule
//! that does not make sense is refused with its name and why.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use xinrong_decisions::Rules;

use crate::facts::{FactFields, PURPOSES};

/// Why a catalogue was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The products file could not be read or is not the expected TOML.
    #[error("{file}: {reason}")]
    File {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// A product's settings do not make sense.
    #[error("product {product}: {reason}")]
    Product {
        /// The product.
        product: String,
        /// Why.
        reason: String,
    },
    /// A product's rules were refused.
    #[error("product {product}: {source}")]
    Rules {
        /// The product.
        product: String,
        /// Why (boxed: a rule error carries the engine's detail, and catalogue results are
        /// passed around far more often than they fail).
        source: Box<xinrong_decisions::RuleError>,
    },
}

/// What secures a product.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collateral {
    /// Nothing: an unsecured loan.
    None,
    /// The order's receivable.
    Receivables,
    /// The equipment financed.
    Equipment,
    /// Pledged patents and other IP.
    Patents,
    /// Pledged carbon-emission allowances.
    Carbon,
    /// A guarantor's guarantee.
    Guarantee,
    /// A government risk-compensation fund.
    Subsidy,
    /// Not a loan: equity.
    Equity,
}

/// Market inputs of every price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Market {
    /// 1-year loan prime rate.
    pub lpr_1y: Decimal,
    /// 5-year loan prime rate.
    pub lpr_5y: Decimal,
    /// Operating cost per year, share of the amount.
    pub operating_cost: Decimal,
    /// Return required on the capital a loan consumes.
    pub hurdle_rate: Decimal,
    /// Yuan per euro, for the Basel SME size adjustment.
    pub eur_cny: Decimal,
}

/// One product.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable id.
    pub id: String,
    /// Kind of product (one per kind in the built-in catalogue).
    pub kind: String,
    /// Name in English.
    pub en: String,
    /// Name in Chinese.
    pub zh: String,
    /// Kind of institution that provides it (`bank`, `guarantor`, `operator`).
    pub provider: String,
    /// Purposes it finances.
    pub purposes: Vec<String>,
    /// Order of recommendation (0 first; see the catalogue file).
    pub tier: u8,
    /// Least amount (yuan).
    pub amount_min: Decimal,
    /// Most amount (yuan).
    pub amount_max: Decimal,
    /// Term in months.
    pub term_months: u32,
    /// What secures it.
    pub collateral: Collateral,
    /// Share of the collateral's value lent against it.
    #[serde(default)]
    pub advance_rate: Option<Decimal>,
    /// Appraised value of one granted IP right (IP pledges).
    #[serde(default)]
    pub ip_value: Option<Decimal>,
    /// Price of one tonne of allowance (carbon pledges).
    #[serde(default)]
    pub carbon_price: Option<Decimal>,
    /// Share of a loss a guarantor or fund bears.
    #[serde(default)]
    pub guarantee_share: Option<Decimal>,
    /// Loss given default of the exposure before any guarantee.
    pub lgd: Decimal,
    /// Least spread over the LPR.
    pub spread_floor: Decimal,
    /// Most spread over the LPR.
    pub spread_cap: Decimal,
    /// Fees per year (guarantee, appraisal, lease), share of the amount.
    pub fee_rate: Decimal,
    /// What an equity investor expects a year (equity referrals).
    #[serde(default)]
    pub cost_of_equity: Option<Decimal>,
    /// The JDM rule file, beside the products file.
    pub rules: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: String,
    pricing: Market,
    products: Vec<Product>,
}

/// A loaded, checked catalogue.
pub struct Catalogue {
    /// Its version, as the products file states it.
    pub version: String,
    /// Market inputs.
    pub market: Market,
    /// Products with their rules, in the file's order.
    pub products: Vec<(Product, Rules)>,
}

const BUILTIN: &str = include_str!("../catalogue/products.toml");
const BUILTIN_RULES: [(&str, &str); 8] = [
    (
        "order_financing.json",
        include_str!("../catalogue/rules/order_financing.json"),
    ),
    (
        "equipment_leasing.json",
        include_str!("../catalogue/rules/equipment_leasing.json"),
    ),
    (
        "ip_pledge.json",
        include_str!("../catalogue/rules/ip_pledge.json"),
    ),
    (
        "credit_loan.json",
        include_str!("../catalogue/rules/credit_loan.json"),
    ),
    (
        "carbon_pledge.json",
        include_str!("../catalogue/rules/carbon_pledge.json"),
    ),
    (
        "guaranteed_loan.json",
        include_str!("../catalogue/rules/guaranteed_loan.json"),
    ),
    (
        "risk_compensation_loan.json",
        include_str!("../catalogue/rules/risk_compensation_loan.json"),
    ),
    (
        "equity_referral.json",
        include_str!("../catalogue/rules/equity_referral.json"),
    ),
];

impl Catalogue {
    /// The catalogue built into the program.
    pub fn builtin() -> Catalogue {
        let rules: BTreeMap<&str, &str> = BUILTIN_RULES.into_iter().collect();
        Catalogue::parse("products.toml (built in)", BUILTIN, |name| {
            rules
                .get(name)
                .map(|s| s.to_string())
                .ok_or_else(|| format!("no built-in rule file {name}"))
        })
        .expect("the built-in catalogue is valid (tested)")
    }

    /// Loads a catalogue from a directory holding `products.toml` and its `rules/` (what the
    /// commands and the data directory name), or from the products file itself.
    pub fn load(path: &Path) -> Result<Catalogue, CatalogueError> {
        let file = path.join("products.toml");
        let path = if path.is_dir() { &file } else { path };
        let text = std::fs::read_to_string(path).map_err(|e| CatalogueError::File {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Catalogue::parse(&path.display().to_string(), &text, |name| {
            let file = dir.join("rules").join(name);
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))
        })
    }

    /// Parses and checks a catalogue; `rule_text(name)` reads a rule file.
    pub fn parse(
        file: &str,
        text: &str,
        rule_text: impl Fn(&str) -> Result<String, String>,
    ) -> Result<Catalogue, CatalogueError> {
        let parsed: File = toml::from_str(text).map_err(|e| CatalogueError::File {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
        let mut seen = std::collections::HashSet::new();
        let mut products = Vec::with_capacity(parsed.products.len());
        for p in parsed.products {
            if !seen.insert(p.id.clone()) {
                return Err(bad(&p.id, "appears twice"));
            }
            check(&p)?;
            let json = rule_text(&p.rules).map_err(|reason| bad(&p.id, &reason))?;
            let rules =
                Rules::load(&p.id, &json, &FactFields).map_err(|source| CatalogueError::Rules {
                    product: p.id.clone(),
                    source: Box::new(source),
                })?;
            products.push((p, rules));
        }
        if products.is_empty() {
            return Err(CatalogueError::File {
                file: file.to_string(),
                reason: "holds no product".into(),
            });
        }
        Ok(Catalogue {
            version: parsed.version,
            market: parsed.pricing,
            products,
        })
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&(Product, Rules)> {
        self.products.iter().find(|(p, _)| p.id == id)
    }
}

fn bad(product: &str, reason: &str) -> CatalogueError {
    CatalogueError::Product {
        product: product.to_string(),
        reason: reason.to_string(),
    }
}

/// Refuses settings that cannot be right.
fn check(p: &Product) -> Result<(), CatalogueError> {
    let id = p.id.as_str();
    let share = |v: Decimal| v >= Decimal::ZERO && v <= Decimal::ONE;
    if p.purposes.is_empty() {
        return Err(bad(id, "finances no purpose"));
    }
    if let Some(unknown) = p.purposes.iter().find(|x| !PURPOSES.contains(&x.as_str())) {
        return Err(bad(
            id,
            &format!(
                "unknown purpose '{unknown}' (known: {})",
                PURPOSES.join(", ")
            ),
        ));
    }
    if p.amount_min <= Decimal::ZERO || p.amount_max < p.amount_min {
        return Err(bad(
            id,
            "amount_min must be positive and at most amount_max",
        ));
    }
    if p.term_months == 0 || p.term_months > 360 {
        return Err(bad(id, "term_months must be 1–360"));
    }
    if !share(p.lgd) || !share(p.fee_rate) {
        return Err(bad(id, "lgd and fee_rate must be shares between 0 and 1"));
    }
    if p.spread_cap < p.spread_floor {
        return Err(bad(id, "spread_cap is below spread_floor"));
    }
    for (name, v) in [
        ("advance_rate", p.advance_rate),
        ("guarantee_share", p.guarantee_share),
    ] {
        if v.is_some_and(|v| !share(v)) {
            return Err(bad(id, &format!("{name} must be a share between 0 and 1")));
        }
    }
    let needs = |what: &str, v: Option<Decimal>| -> Result<(), CatalogueError> {
        match v {
            Some(x) if x > Decimal::ZERO => Ok(()),
            _ => Err(bad(
                id,
                &format!("{what} is required and positive for its collateral"),
            )),
        }
    };
    match p.collateral {
        Collateral::Receivables | Collateral::Equipment => needs("advance_rate", p.advance_rate),
        Collateral::Patents => {
            needs("advance_rate", p.advance_rate)?;
            needs("ip_value", p.ip_value)
        }
        Collateral::Carbon => {
            needs("advance_rate", p.advance_rate)?;
            needs("carbon_price", p.carbon_price)
        }
        Collateral::Guarantee | Collateral::Subsidy => needs("guarantee_share", p.guarantee_share),
        Collateral::Equity => needs("cost_of_equity", p.cost_of_equity),
        Collateral::None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in catalogue's files, copied where a test may change them.
    fn copy_of_builtin() -> tempfile::TempDir {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalogue");
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("rules")).expect("rules dir");
        std::fs::copy(from.join("products.toml"), dir.path().join("products.toml")).expect("copy");
        for f in std::fs::read_dir(from.join("rules")).expect("rules") {
            let f = f.expect("entry").path();
            std::fs::copy(
                &f,
                dir.path().join("rules").join(f.file_name().expect("name")),
            )
            .expect("copy rule");
        }
        dir
    }

    #[test]
    fn a_catalogue_loads_from_its_directory_or_its_products_file() {
        let dir = copy_of_builtin();
        let builtin = Catalogue::builtin();
        for path in [dir.path().to_path_buf(), dir.path().join("products.toml")] {
            let loaded = Catalogue::load(&path).expect("the built-in files load");
            assert_eq!(loaded.version, builtin.version);
            assert_eq!(loaded.products.len(), builtin.products.len());
        }
    }

    #[test]
    fn a_rule_reading_an_unknown_fact_is_refused_at_load_with_its_product() {
        let dir = copy_of_builtin();
        let file = dir.path().join("rules/credit_loan.json");
        let text = std::fs::read_to_string(&file).expect("rule file");
        assert!(text.contains("\"field\": \"overdue_days\""));
        std::fs::write(
            &file,
            text.replace("\"field\": \"overdue_days\"", "\"field\": \"overdue_dayz\""),
        )
        .expect("write");
        let Err(err) = Catalogue::load(dir.path()) else {
            panic!("a rule reading an unknown fact loaded");
        };
        let message = err.to_string();
        assert!(
            message.contains("credit_loan") && message.contains("overdue_dayz"),
            "{message}"
        );
        let Err(missing) = Catalogue::load(&dir.path().join("nowhere")) else {
            panic!("a catalogue that is not there loaded");
        };
        assert!(missing.to_string().contains("nowhere"), "{missing}");
    }
}
