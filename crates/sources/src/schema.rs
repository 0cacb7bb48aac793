//! The source schemas: every field of every source, its type, its meaning in English and
//! Chinese, whether it is required, and how personal data in it is desensitised.

/// The type of a field, which is also the validation applied to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// A Unified Social Credit Code with a correct check character.
    Uscc,
    /// Free text.
    Text,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A calendar month, `YYYY-MM`.
    Month,
    /// A whole number within the range.
    Int(i64, i64),
    /// A decimal number within the range.
    Decimal(f64, f64),
    /// One of a fixed list of codes.
    Code(&'static [&'static str]),
    /// A GB/T 4754-2017 industry class: a section letter and up to four digits.
    Industry,
    /// A six-digit GB/T 2260 administrative region code.
    Region,
}

/// How personal data in a field is kept out of analytics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pii {
    /// Not personal data.
    None,
    /// Replaced by a keyed hash (HMAC-SHA-256, key from configuration): joinable, not readable.
    Hmac,
    /// Masked, keeping only what a person needs to recognise it (e.g. `138****5678`).
    Mask,
}

/// One field of a source.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// Column name in files and in the store.
    pub name: &'static str,
    /// Type and validation.
    pub kind: Kind,
    /// Whether an empty value rejects the row.
    pub required: bool,
    /// Desensitisation rule.
    pub pii: Pii,
    /// Meaning, in English.
    pub en: &'static str,
    /// Meaning, in Chinese.
    pub zh: &'static str,
}

/// One data source.
#[derive(Clone, Copy, Debug)]
pub struct Source {
    /// Name used on the command line and as the table name in indicator SQL.
    pub name: &'static str,
    /// Title in English.
    pub en: &'static str,
    /// Title in Chinese.
    pub zh: &'static str,
    /// The field that dates a row: point-in-time cuts use it.
    pub date_field: &'static str,
    /// Fields that identify a row: a second row with the same key is a duplicate.
    pub key: &'static [&'static str],
    /// The fields, in file order.
    pub fields: &'static [Field],
}

const fn f(
    name: &'static str,
    kind: Kind,
    required: bool,
    en: &'static str,
    zh: &'static str,
) -> Field {
    Field {
        name,
        kind,
        required,
        pii: Pii::None,
        en,
        zh,
    }
}

const fn pii(
    name: &'static str,
    kind: Kind,
    rule: Pii,
    en: &'static str,
    zh: &'static str,
) -> Field {
    Field {
        name,
        kind,
        required: false,
        pii: rule,
        en,
        zh,
    }
}

/// The enterprise a row of an event source belongs to.
const ENTERPRISE: Field = f(
    "uscc",
    Kind::Uscc,
    true,
    "Enterprise",
    "企业统一社会信用代码",
);
const MONEY: Kind = Kind::Decimal(0.0, 1e12);
const SIGNED_MONEY: Kind = Kind::Decimal(-1e12, 1e12);
const FLAG: Kind = Kind::Int(0, 1);
/// Tax credit ratings of the State Taxation Administration.
pub const TAX_RATINGS: &[&str] = &["A", "B", "M", "C", "D"];

/// Every source the platform knows.
pub const SOURCES: &[Source] = &[
    Source {
        name: "registry",
        en: "Enterprise registry",
        zh: "企业登记信息",
        date_field: "founded",
        key: &["uscc"],
        fields: &[
            f(
                "uscc",
                Kind::Uscc,
                true,
                "Unified Social Credit Code",
                "统一社会信用代码",
            ),
            f("name", Kind::Text, true, "Enterprise name", "企业名称"),
            f(
                "industry",
                Kind::Industry,
                true,
                "Industry class (GB/T 4754)",
                "国民经济行业分类",
            ),
            f(
                "region",
                Kind::Region,
                true,
                "Region code (GB/T 2260)",
                "行政区划代码",
            ),
            f("founded", Kind::Date, true, "Founding date", "成立日期"),
            f(
                "registered_capital",
                MONEY,
                true,
                "Registered capital (10k yuan)",
                "注册资本（万元）",
            ),
            pii(
                "legal_rep_name",
                Kind::Text,
                Pii::Hmac,
                "Legal representative's name",
                "法定代表人姓名",
            ),
            pii(
                "legal_rep_id",
                Kind::Text,
                Pii::Hmac,
                "Legal representative's ID-card number",
                "法定代表人身份证号",
            ),
            pii("phone", Kind::Text, Pii::Mask, "Contact phone", "联系电话"),
            f(
                "high_tech",
                FLAG,
                true,
                "Certified high-tech enterprise",
                "高新技术企业",
            ),
            f(
                "tech_sme",
                FLAG,
                true,
                "Certified technology-based SME",
                "科技型中小企业",
            ),
            f(
                "specialised",
                FLAG,
                true,
                "Specialised, refined, distinctive, innovative (专精特新)",
                "专精特新企业",
            ),
            f(
                "carbon_allowance_t",
                Kind::Decimal(0.0, 1e9),
                false,
                "Carbon-emission allowances held (tonnes CO2e)",
                "持有碳排放配额（吨）",
            ),
        ],
    },
    Source {
        name: "bank_txn",
        en: "Bank cash-flow transactions",
        zh: "银行流水",
        date_field: "date",
        key: &["uscc", "txn_id"],
        fields: &[
            ENTERPRISE,
            f("txn_id", Kind::Text, true, "Transaction id", "交易流水号"),
            f("date", Kind::Date, true, "Value date", "交易日期"),
            f("amount", MONEY, true, "Amount (yuan)", "金额（元）"),
            f(
                "direction",
                Kind::Code(&["in", "out"]),
                true,
                "Inflow or outflow",
                "收支方向",
            ),
            f(
                "counterparty",
                Kind::Text,
                false,
                "Counterparty name",
                "交易对手名称",
            ),
            pii(
                "counterparty_account",
                Kind::Text,
                Pii::Hmac,
                "Counterparty account number",
                "交易对手账号",
            ),
            f(
                "channel",
                Kind::Code(&["online", "counter", "pos", "transfer"]),
                true,
                "Channel",
                "交易渠道",
            ),
            f(
                "balance",
                SIGNED_MONEY,
                false,
                "Account balance after the transaction (yuan)",
                "交易后余额（元）",
            ),
        ],
    },
    Source {
        name: "tax",
        en: "Tax filings",
        zh: "纳税申报",
        date_field: "filed_date",
        key: &["uscc", "period", "tax_type"],
        fields: &[
            ENTERPRISE,
            f("period", Kind::Month, true, "Tax period", "所属期"),
            f(
                "tax_type",
                Kind::Code(&["vat", "cit", "iit", "other"]),
                true,
                "Tax type",
                "税种",
            ),
            f(
                "declared",
                MONEY,
                true,
                "Tax declared (yuan)",
                "申报税额（元）",
            ),
            f("paid", MONEY, true, "Tax paid (yuan)", "实缴税额（元）"),
            f("arrears", MONEY, true, "Arrears (yuan)", "欠税金额（元）"),
            f(
                "sales",
                MONEY,
                false,
                "Declared sales (yuan)",
                "申报销售额（元）",
            ),
            f(
                "credit_rating",
                Kind::Code(TAX_RATINGS),
                false,
                "Tax credit rating",
                "纳税信用等级",
            ),
            f("filed_date", Kind::Date, true, "Filing date", "申报日期"),
        ],
    },
    Source {
        name: "invoice",
        en: "E-invoices",
        zh: "电子发票",
        date_field: "date",
        key: &["invoice_no"],
        fields: &[
            ENTERPRISE,
            f("invoice_no", Kind::Text, true, "Invoice number", "发票号码"),
            f("date", Kind::Date, true, "Issue date", "开票日期"),
            f(
                "direction",
                Kind::Code(&["issued", "received"]),
                true,
                "Issued (sales) or received (purchases)",
                "销项/进项",
            ),
            f(
                "counterparty_uscc",
                Kind::Uscc,
                true,
                "Counterparty",
                "对方统一社会信用代码",
            ),
            f(
                "amount",
                SIGNED_MONEY,
                true,
                "Amount excluding tax (yuan)",
                "不含税金额（元）",
            ),
            f("tax_amount", SIGNED_MONEY, true, "Tax (yuan)", "税额（元）"),
            f(
                "red_letter",
                FLAG,
                true,
                "Red-letter (cancelling) invoice",
                "红字发票",
            ),
        ],
    },
    Source {
        name: "utility",
        en: "Electricity and water use",
        zh: "水电用量",
        date_field: "month",
        key: &["uscc", "month"],
        fields: &[
            ENTERPRISE,
            f("month", Kind::Month, true, "Month", "月份"),
            f(
                "electricity_kwh",
                Kind::Decimal(0.0, 1e10),
                true,
                "Electricity (kWh)",
                "用电量（千瓦时）",
            ),
            f(
                "water_t",
                Kind::Decimal(0.0, 1e9),
                false,
                "Water (tonnes)",
                "用水量（吨）",
            ),
        ],
    },
    Source {
        name: "social_insurance",
        en: "Social-insurance headcount",
        zh: "社保缴纳人数",
        date_field: "month",
        key: &["uscc", "month"],
        fields: &[
            ENTERPRISE,
            f("month", Kind::Month, true, "Month", "月份"),
            f(
                "headcount",
                Kind::Int(0, 1_000_000),
                true,
                "Insured employees",
                "参保人数",
            ),
            f(
                "contribution",
                MONEY,
                false,
                "Contributions paid (yuan)",
                "缴费金额（元）",
            ),
        ],
    },
    Source {
        name: "ip",
        en: "Intellectual property",
        zh: "知识产权",
        date_field: "filed_date",
        key: &["ip_no"],
        fields: &[
            ENTERPRISE,
            f(
                "ip_no",
                Kind::Text,
                true,
                "Application or registration number",
                "申请号/登记号",
            ),
            f(
                "ip_type",
                Kind::Code(&["invention", "utility", "design", "software", "trademark"]),
                true,
                "Kind",
                "类型",
            ),
            f("filed_date", Kind::Date, true, "Filing date", "申请日期"),
            f(
                "granted_date",
                Kind::Date,
                false,
                "Grant date (empty while pending)",
                "授权日期",
            ),
        ],
    },
    Source {
        name: "rnd",
        en: "R&D spending",
        zh: "研发投入",
        date_field: "report_date",
        key: &["uscc", "year", "quarter"],
        fields: &[
            ENTERPRISE,
            f(
                "quarter",
                Kind::Code(&["Q1", "Q2", "Q3", "Q4"]),
                true,
                "Quarter",
                "季度",
            ),
            f("year", Kind::Int(1990, 2100), true, "Year", "年度"),
            f(
                "rnd_expense",
                MONEY,
                true,
                "R&D expense (yuan)",
                "研发费用（元）",
            ),
            f(
                "rnd_staff",
                Kind::Int(0, 100_000),
                false,
                "R&D staff",
                "研发人员数",
            ),
            f("report_date", Kind::Date, true, "Reported on", "报送日期"),
        ],
    },
    Source {
        name: "judicial",
        en: "Judicial records",
        zh: "司法记录",
        date_field: "date",
        key: &["case_no"],
        fields: &[
            ENTERPRISE,
            f("case_no", Kind::Text, true, "Case number", "案号"),
            f(
                "date",
                Kind::Date,
                true,
                "Filing or listing date",
                "立案/公布日期",
            ),
            f(
                "record_type",
                Kind::Code(&[
                    "lawsuit_defendant",
                    "lawsuit_plaintiff",
                    "enforcement",
                    "dishonest",
                ]),
                true,
                "Lawsuit as defendant or plaintiff, enforcement, dishonest-debtor listing",
                "被告/原告诉讼、被执行、失信被执行人",
            ),
            f(
                "amount",
                MONEY,
                false,
                "Amount in dispute (yuan)",
                "涉案金额（元）",
            ),
        ],
    },
    Source {
        name: "loan",
        en: "Loans and repayment",
        zh: "贷款及还款",
        date_field: "month",
        key: &["uscc", "loan_id", "month"],
        fields: &[
            ENTERPRISE,
            f("loan_id", Kind::Text, true, "Loan id", "贷款编号"),
            f("month", Kind::Month, true, "Month", "月份"),
            f("lender", Kind::Text, true, "Lender", "贷款机构"),
            f(
                "outstanding",
                MONEY,
                true,
                "Outstanding balance (yuan)",
                "贷款余额（元）",
            ),
            f(
                "overdue_days",
                Kind::Int(0, 10_000),
                true,
                "Days overdue at month end",
                "逾期天数",
            ),
            f(
                "overdue_amount",
                MONEY,
                true,
                "Amount overdue (yuan)",
                "逾期金额（元）",
            ),
        ],
    },
    Source {
        name: "orders",
        en: "Supply-chain orders",
        zh: "供应链订单",
        date_field: "date",
        key: &["order_id"],
        fields: &[
            ENTERPRISE,
            f("order_id", Kind::Text, true, "Order id", "订单号"),
            f("date", Kind::Date, true, "Order date", "下单日期"),
            f(
                "role",
                Kind::Code(&["buyer", "seller"]),
                true,
                "Role of the enterprise",
                "企业角色",
            ),
            f(
                "counterparty_uscc",
                Kind::Uscc,
                true,
                "Counterparty",
                "对方统一社会信用代码",
            ),
            f(
                "amount",
                MONEY,
                true,
                "Order value (yuan)",
                "订单金额（元）",
            ),
            f(
                "category",
                Kind::Code(&["goods", "services", "materials", "equipment"]),
                false,
                "What is ordered",
                "订单品类",
            ),
        ],
    },
    Source {
        name: "telemetry",
        en: "Equipment telemetry",
        zh: "设备运行数据",
        date_field: "date",
        key: &["device_id", "date"],
        fields: &[
            ENTERPRISE,
            f("device_id", Kind::Text, true, "Device", "设备编号"),
            f("date", Kind::Date, true, "Day", "日期"),
            f(
                "running_hours",
                Kind::Decimal(0.0, 24.0),
                true,
                "Running hours",
                "运行时长（小时）",
            ),
        ],
    },
];

/// The source called `name`.
pub fn source(name: &str) -> Option<&'static Source> {
    SOURCES.iter().find(|s| s.name == name)
}

/// The schema table (field, type, meaning in English and Chinese, rule) as Markdown, for
/// the documentation and `xinrong sources`.
pub fn markdown() -> String {
    let mut out = String::new();
    for s in SOURCES {
        out.push_str(&format!("\n### `{}`: {} ({})\n\n| field | type | required | personal data | meaning | 含义 |\n|---|---|---|---|---|---|\n", s.name, s.en, s.zh));
        for f in s.fields {
            let kind = match f.kind {
                Kind::Uscc => "USCC".to_string(),
                Kind::Text => "text".into(),
                Kind::Date => "date".into(),
                Kind::Month => "month".into(),
                Kind::Int(lo, hi) => format!("integer {lo}..{hi}"),
                Kind::Decimal(lo, hi) => format!("decimal {lo}..{hi}"),
                Kind::Code(codes) => codes.join(" / "),
                Kind::Industry => "GB/T 4754 code".into(),
                Kind::Region => "GB/T 2260 code".into(),
            };
            let rule = match f.pii {
                Pii::None => "",
                Pii::Hmac => "keyed hash",
                Pii::Mask => "masked",
            };
            out.push_str(&format!(
                "| `{}` | {kind} | {} | {rule} | {} | {} |\n",
                f.name,
                if f.required { "yes" } else { "" },
                f.en,
                f.zh
            ));
        }
    }
    out
}
