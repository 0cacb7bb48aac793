//! Five-category loan classification (五级分类) by the rules in force since 2023
//! (《商业银行金融资产风险分类办法》, CBIRC and PBoC order 2023 No. 1): the days past due set a
//! floor (any arrears at least special mention, over 90 days substandard, over 270 doubtful,
//! over 360 loss), and so does the credit state: an impaired asset is at least substandard,
//! a restructured one at least special mention, and a borrower with more than a fifth of its
//! debts (at all lenders) over 90 days past due is non-performing everywhere. The worst floor
//! wins, and the answer says which rule set it.

use rust_decimal::Decimal;
use rust_decimal::dec;
use serde::{Deserialize, Serialize};

/// The five categories, best first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 正常: paid as agreed, nothing suggests it will not be.
    Normal,
    /// 关注: paid so far or briefly in arrears, but with something that may harm repayment.
    SpecialMention,
    /// 次级: cannot pay in full; credit impaired.
    Substandard,
    /// 可疑: significantly impaired.
    Doubtful,
    /// 损失: little or nothing will be recovered.
    Loss,
}

impl Category {
    /// All five, best first.
    pub const ALL: [Category; 5] = [
        Category::Normal,
        Category::SpecialMention,
        Category::Substandard,
        Category::Doubtful,
        Category::Loss,
    ];

    /// English name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Normal => "normal",
            Category::SpecialMention => "special_mention",
            Category::Substandard => "substandard",
            Category::Doubtful => "doubtful",
            Category::Loss => "loss",
        }
    }

    /// Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            Category::Normal => "正常",
            Category::SpecialMention => "关注",
            Category::Substandard => "次级",
            Category::Doubtful => "可疑",
            Category::Loss => "损失",
        }
    }

    /// Substandard or worse: a non-performing loan (不良贷款).
    pub fn non_performing(self) -> bool {
        self >= Category::Substandard
    }
}

/// What the classification looks at.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CreditState {
    /// Days the oldest unpaid amount is past due.
    pub days_past_due: u32,
    /// The lender judged the asset credit impaired (declared default, compensation claimed).
    pub credit_impaired: bool,
    /// Expected loss as a share of the exposure, once impaired (None: not estimated).
    pub expected_loss_share: Option<Decimal>,
    /// The terms were eased because the borrower is in financial difficulty.
    pub restructured: bool,
    /// Share of the borrower's debts at all lenders more than 90 days past due.
    pub borrower_share_over_90_days: Decimal,
    /// Written off: nothing more will be recovered.
    pub written_off: bool,
}

/// A category with the rule that set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The category.
    pub category: Category,
    /// The rule that set it, in English.
    pub rule: &'static str,
}

/// The category of an asset in `state`.
pub fn classify(state: &CreditState) -> Classification {
    let dpd = state.days_past_due;
    let floors: [(bool, Category, &'static str); 10] = [
        (state.written_off, Category::Loss, "written off"),
        (dpd > 360, Category::Loss, "more than 360 days past due"),
        (
            state.credit_impaired && state.expected_loss_share >= Some(dec!(0.9)),
            Category::Loss,
            "impaired, 90% or more expected to be lost",
        ),
        (dpd > 270, Category::Doubtful, "more than 270 days past due"),
        (
            state.credit_impaired && state.expected_loss_share >= Some(dec!(0.5)),
            Category::Doubtful,
            "significantly impaired (half or more expected to be lost)",
        ),
        (
            dpd > 90,
            Category::Substandard,
            "more than 90 days past due",
        ),
        (
            state.credit_impaired,
            Category::Substandard,
            "credit impaired",
        ),
        (
            state.borrower_share_over_90_days > dec!(0.2),
            Category::Substandard,
            "over 20% of the borrower's debts more than 90 days past due",
        ),
        (dpd > 0, Category::SpecialMention, "past due"),
        (state.restructured, Category::SpecialMention, "restructured"),
    ];
    floors
        .iter()
        .find(|(applies, _, _)| *applies)
        .map(|&(_, category, rule)| Classification { category, rule })
        .unwrap_or(Classification {
            category: Category::Normal,
            rule: "paid as agreed",
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_dpd(days_past_due: u32) -> Category {
        classify(&CreditState {
            days_past_due,
            ..CreditState::default()
        })
        .category
    }

    #[test]
    fn days_past_due_set_the_floor_at_the_regulations_boundaries() {
        assert_eq!(by_dpd(0), Category::Normal);
        assert_eq!(by_dpd(1), Category::SpecialMention);
        assert_eq!(by_dpd(90), Category::SpecialMention);
        assert_eq!(by_dpd(91), Category::Substandard);
        assert_eq!(by_dpd(270), Category::Substandard);
        assert_eq!(by_dpd(271), Category::Doubtful);
        assert_eq!(by_dpd(360), Category::Doubtful);
        assert_eq!(by_dpd(361), Category::Loss);
        assert!(!by_dpd(90).non_performing() && by_dpd(91).non_performing());
    }

    #[test]
    fn the_credit_state_can_only_make_it_worse() {
        let impaired = CreditState {
            credit_impaired: true,
            ..CreditState::default()
        };
        assert_eq!(classify(&impaired).category, Category::Substandard);
        let significant = CreditState {
            expected_loss_share: Some(dec!(0.6)),
            ..impaired.clone()
        };
        assert_eq!(classify(&significant).category, Category::Doubtful);
        // More days past due than the impairment says: the days win.
        let late = CreditState {
            days_past_due: 400,
            ..significant
        };
        let c = classify(&late);
        assert_eq!(c.category, Category::Loss);
        assert_eq!(c.rule, "more than 360 days past due");
        let elsewhere = CreditState {
            borrower_share_over_90_days: dec!(0.25),
            ..CreditState::default()
        };
        assert_eq!(classify(&elsewhere).category, Category::Substandard);
        let restructured = CreditState {
            restructured: true,
            ..CreditState::default()
        };
        assert_eq!(classify(&restructured).category, Category::SpecialMention);
        assert_eq!(Category::Doubtful.zh(), "可疑");
    }
}
