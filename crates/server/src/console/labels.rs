//! The console's words in English and Chinese. Templates read them as `t.key`; a key missing
//! from this table is an error when the template renders in a test, never a blank on a page.

use std::collections::BTreeMap;
use std::sync::OnceLock;

/// A console language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 中文.
    Zh,
    /// English.
    En,
}

impl Lang {
    /// `zh` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The language of a cookie value, else the first of `Accept-Language` we speak, else
    /// Chinese.
    pub fn choose(cookie: Option<&str>, accept: Option<&str>) -> Lang {
        match cookie {
            Some("en") => return Lang::En,
            Some("zh") => return Lang::Zh,
            _ => {}
        }
        let accept = accept.unwrap_or_default().to_ascii_lowercase();
        let first = accept
            .split(',')
            .map(|p| p.trim())
            .find(|p| p.starts_with("zh") || p.starts_with("en"));
        match first {
            Some(p) if p.starts_with("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
}

/// (key, English, Chinese).
const WORDS: &[(&str, &str, &str)] = &[
    ("title", "Xinrong credit console", "信融信用服务台"),
    ("brand", "Xinrong", "信融"),
    ("sign_in", "Sign in", "登录"),
    ("sign_out", "Sign out", "退出"),
    ("api_key", "Institution API key", "机构 API 密钥"),
    (
        "sign_in_hint",
        "Paste the key your institution was given. It is exchanged for a session and never stored in the browser.",
        "粘贴贵机构的 API 密钥。密钥只用于换取会话，不会保存在浏览器中。",
    ),
    ("bad_key", "That key is not valid.", "密钥无效。"),
    (
        "expired",
        "Your session ended. Please sign in again.",
        "会话已结束，请重新登录。",
    ),
    ("language", "Language", "语言"),
    ("role_operator", "Operator", "平台运营方"),
    ("role_bank", "Bank", "银行"),
    ("role_guarantor", "Guarantor", "担保机构"),
    ("role_enterprise", "Enterprise", "企业"),
    ("role_regulator", "Regulator", "监管机构"),
    ("nav_home", "Overview", "总览"),
    ("nav_portrait", "Credit portrait", "信用画像"),
    ("nav_queries", "Queries", "查询记录"),
    ("nav_queried_me", "Who queried me", "谁查询了我"),
    ("nav_consents", "Consents", "授权管理"),
    ("nav_alerts", "Alerts", "预警"),
    ("nav_ledger", "Ledger", "存证账本"),
    ("nav_models", "Models", "模型"),
    ("nav_market", "Market", "市场概览"),
    ("publish_model", "Publish a model", "发布模型"),
    (
        "publish_note",
        "A model file written by xinrong fit. Its publication is logged in the ledger; characteristics it shares with published models keep their dimension and view.",
        "由 xinrong fit 生成的模型文件。发布记入存证账本；与已发布模型相同的特征沿用其维度与视角。",
    ),
    ("model_file", "Model file (JSON)", "模型文件（JSON）"),
    ("make_champion", "Make it the champion", "设为冠军模型"),
    ("publish", "Publish", "发布"),
    ("quarantine_title", "Rows not stored", "未入库的记录"),
    (
        "quarantine_note",
        "Each row of the upload that was quarantined, with why: what goes back to the data provider.",
        "该批上传中被隔离的每一行及原因，可退回数据提供方核实。",
    ),
    ("line", "Line", "行号"),
    ("field", "Field", "字段"),
    (
        "truncated",
        "Only the first 1,000 rows are listed.",
        "仅列出前1000行。",
    ),
    ("nav_guarantees", "Guarantees", "担保记录"),
    ("result", "Result", "结果"),
    ("leaf", "Ledger entry", "账本条目"),
    ("issued", "issued", "已出具"),
    ("criteria", "outside the criteria", "不符合准入条件"),
    ("capacity", "capacity reached", "额度已满"),
    ("per_firm_cap", "per-firm cap reached", "单户上限已满"),
    ("manual_review", "manual review", "转人工审核"),
    (
        "book_trend",
        "Principal outstanding by month-end (red: non-performing, substandard or worse)",
        "各月末贷款余额（红色：不良，次级及以下）",
    ),
    (
        "exposure_by_grade",
        "Principal outstanding by the borrower's grade today (10k yuan)",
        "按借款企业当前等级的贷款余额（万元）",
    ),
    ("unscored", "Unscored", "未评分"),
    (
        "market_note",
        "Every enterprise with indicators, scored by the champion on its latest snapshot; counts and means only, no enterprise is named.",
        "所有已有指标的企业，按冠军模型对其最新快照评分；仅统计数量与均值，不列出任何企业。",
    ),
    ("by_region", "By province", "按省份"),
    ("by_industry", "By industry section", "按行业门类"),
    ("province", "Province", "省份"),
    ("industry", "Industry", "行业"),
    ("enterprises", "Enterprises", "企业数"),
    ("weak_share", "Grades D–F", "D–F级占比"),
    ("score", "Score", "信用分"),
    ("grade", "Grade", "等级"),
    ("pd", "Probability of default", "违约概率"),
    ("as_of", "Data as of", "数据日期"),
    ("model", "Model", "模型"),
    ("dimensions", "Ten dimensions", "十维评价"),
    ("views", "Three views", "三个视角"),
    ("history", "Score history", "信用分历史"),
    ("strengths", "Strengths", "优势"),
    ("weaknesses", "Where points are lost", "主要失分项"),
    ("indicator", "Indicator", "指标"),
    ("value", "Value", "取值"),
    ("points", "Points", "得分"),
    ("max_points", "Best bin", "最佳分箱得分"),
    ("to_gain", "Points to gain", "可提升分数"),
    (
        "no_score",
        "No score yet: no model is published or no indicators are loaded.",
        "暂无评分：尚未发布模型或尚未加载指标。",
    ),
    ("institution", "Institution", "机构"),
    ("purpose", "Purpose", "用途"),
    ("kind", "Kind", "类型"),
    ("time", "Time", "时间"),
    ("receipt", "Ledger entry", "存证序号"),
    ("none", "None.", "无。"),
    ("expires", "Expires", "到期日"),
    ("granted", "Granted", "授权时间"),
    ("status", "Status", "状态"),
    ("live", "Live", "有效"),
    ("revoked", "Revoked", "已撤销"),
    ("expired_consent", "Expired", "已过期"),
    ("revoke", "Revoke", "撤销"),
    ("grant", "Grant", "授权"),
    ("grant_title", "Grant an institution access", "授权机构查询"),
    ("institution_id", "Institution id", "机构编号"),
    ("enterprise", "Enterprise", "企业"),
    ("uscc", "Unified social credit code", "统一社会信用代码"),
    ("look_up", "Query score", "查询信用分"),
    (
        "lookup_title",
        "Score query (needs the enterprise's consent; logged in the ledger)",
        "信用分查询（需企业授权，查询记录上链存证）",
    ),
    ("consents_held", "Consents held", "持有的授权"),
    ("recent_queries", "Recent queries", "最近查询"),
    (
        "alerts_by_level",
        "Open alerts by level",
        "未处理预警（按级别）",
    ),
    ("red", "Red", "红色"),
    ("yellow", "Yellow", "黄色"),
    ("blue", "Blue", "蓝色"),
    ("signal", "Signal", "信号"),
    ("level", "Level", "级别"),
    ("action", "Suggested action", "建议措施"),
    ("date", "Date", "日期"),
    ("query", "Query", "查询"),
    ("verify_receipt", "Check a receipt", "校验存证回执"),
    (
        "receipt_json",
        "Receipt (JSON, as the API returned it)",
        "回执（API 返回的 JSON）",
    ),
    ("verify", "Verify", "校验"),
    (
        "receipt_ok",
        "The receipt is valid: the entry is in the ledger under the checkpoint signed by this platform.",
        "回执有效：该记录已写入本平台签名检查点下的账本。",
    ),
    ("receipt_bad", "The receipt does not verify", "回执校验失败"),
    ("checkpoint", "Latest signed checkpoint", "最新签名检查点"),
    ("size", "Entries", "记录数"),
    ("root", "Root hash", "根哈希"),
    ("verifier_key", "Verifier key", "验证公钥"),
    ("version", "Version", "版本"),
    ("published", "Published", "发布时间"),
    ("champion", "Champion", "当前冠军模型"),
    ("activity", "Credit activity", "信贷业务概况"),
    ("not_found", "Not found", "未找到"),
    ("forbidden", "Not allowed", "无权访问"),
    ("error", "Something went wrong", "出错了"),
    ("back", "Back", "返回"),
    (
        "csrf_refused",
        "The form was refused: it did not carry this session's token. Reload the page and try again.",
        "表单被拒绝：缺少本会话的校验令牌。请刷新页面后重试。",
    ),
    ("reasons", "Reasons", "评分理由"),
    ("consent_status", "Consent", "授权状态"),
    (
        "no_consent",
        "No live consent for this purpose: the enterprise must grant it first.",
        "该用途没有有效授权：需企业先行授权。",
    ),
    (
        "rescorings",
        "Rescorings after new data",
        "新数据触发的重新评分",
    ),
    ("cause", "Cause", "触发数据"),
    ("previous", "Before", "之前"),
    ("current", "After", "之后"),
    ("page_next", "Older", "更早"),
    ("pre_loan", "Pre-loan", "贷前审查"),
    ("in_loan", "In-loan", "贷中审查"),
    ("post_loan", "Post-loan", "贷后监控"),
    ("guarantee", "Guarantee", "融资担保"),
    ("count", "Count", "数量"),
    ("skip", "Skip to content", "跳到正文"),
    ("agreement", "Agreement", "合作协议"),
    ("nav_loans", "Loan book", "贷款台账"),
    ("loan", "Loan", "贷款"),
    ("dpd", "Days past due", "逾期天数"),
    ("disbursed", "Disbursed", "已放款"),
    ("exposure", "Exposure", "风险敞口"),
    ("events", "Events", "事件"),
    ("overdue_principal", "Overdue principal", "逾期本金"),
    ("compensated", "Compensated", "已代偿"),
    ("recovered", "Recovered", "已追偿"),
    ("holdings", "Enterprises", "企业数"),
    ("note", "Note", "处理说明"),
    ("do_acknowledge", "Acknowledge", "确认"),
    ("do_resolve", "Resolve", "办结"),
    ("act_on", "Handle", "处理"),
    ("entries", "Entries, newest first", "账本记录（最新在前）"),
    ("entry", "Ledger entry", "账本记录"),
    ("index", "Index", "序号"),
    ("text", "Canonical text (as hashed)", "规范文本（参与哈希）"),
    (
        "next_bin",
        "Next better bin (points it adds)",
        "相邻更优分箱（可增加分数）",
    ),
    ("nav_decisions", "Decisions", "授信决策"),
    ("nav_flows", "Decision flows", "决策流程"),
    ("decision", "Decision", "决策"),
    ("approve", "Approve", "批准"),
    ("refer", "Refer", "转人工"),
    ("decline", "Decline", "拒绝"),
    ("flow_version", "Flow version", "流程版本"),
    ("findings", "Findings", "规则发现"),
    ("rule", "Rule", "规则"),
    ("reason", "Reason", "原因"),
    ("term_months", "Term (months)", "期限（月）"),
    ("maker", "Maker", "提交人"),
    ("checker", "Checker", "复核人"),
    ("share", "Traffic share", "流量占比"),
    ("rules_sha", "Rules (SHA-256)", "规则摘要（SHA-256）"),
    ("digest", "Digest", "摘要"),
    ("matches", "Financing matches", "融资产品匹配"),
    (
        "match_title",
        "Match financing products (logged as a query under the consent)",
        "匹配融资产品（按授权记录为一次查询）",
    ),
    ("need", "Financing need", "融资需求"),
    ("any_need", "Any", "不限"),
    ("working_capital", "Working capital", "流动资金"),
    ("order_fulfilment", "Order fulfilment", "订单履约"),
    ("equipment", "Equipment", "设备购置"),
    ("rnd", "R&D", "研发投入"),
    (
        "amount_optional",
        "Amount sought (yuan, optional)",
        "申请金额（元，可选）",
    ),
    ("match", "Match", "匹配"),
    ("product", "Product", "产品"),
    ("provider", "Provider", "提供机构"),
    ("rate", "All-in rate", "综合利率"),
    ("rules_passed", "Rules passed", "通过规则"),
    (
        "why_not",
        "Why not, and what would change it",
        "未通过原因及改进方向",
    ),
    ("best", "Best fit", "最佳匹配"),
    ("eligible", "Eligible", "符合条件"),
    ("refused", "Refused", "不符合"),
    (
        "cannot_decide",
        "Cannot decide (data missing)",
        "无法判断（数据缺失）",
    ),
    ("not_for_purpose", "Not for this need", "不适用该需求"),
    ("nav_search", "Enterprises", "企业查找"),
    ("nav_data", "Data received", "数据接收"),
    (
        "search_title",
        "Find an enterprise by code or name",
        "按代码或名称查找企业",
    ),
    ("search", "Search", "查找"),
    (
        "search_hint",
        "At least two characters. Names and codes are public registration data; scores need the enterprise's consent.",
        "至少两个字符。企业名称和代码为公开登记信息；查询信用分需企业授权。",
    ),
    ("name", "Name", "名称"),
    ("open_with", "Open under consent", "按授权查看"),
    ("no_consent_held", "no live consent", "无有效授权"),
    (
        "data_sources",
        "Data received (freshness)",
        "数据来源与更新",
    ),
    ("source", "Source", "数据源"),
    ("rows", "Rows", "行数"),
    ("accepted", "Accepted", "接收"),
    ("quarantined", "Quarantined", "隔离"),
    ("portfolio", "Portfolio", "授信组合"),
    ("by_grade", "Enterprises by grade", "按等级分布"),
    ("scored", "Scored", "已评分"),
    ("mean_pd", "Mean PD", "平均违约概率"),
    ("riskiest", "Riskiest enterprises", "风险最高的企业"),
    ("amount", "Amount", "金额"),
    ("category", "Five-category class", "五级分类"),
    ("compensation_rate", "Compensation rate", "代偿率"),
    ("decisions", "Decisions", "授信决策"),
    ("evidence", "Evidence", "依据"),
    ("features", "Characteristics", "特征数"),
    ("filter", "Filter", "筛选"),
    ("guaranteed", "Guaranteed", "累计担保"),
    ("loans", "Loans", "贷款"),
    ("outcome", "Outcome", "结果"),
    ("outstanding", "Outstanding", "在保余额"),
    ("publisher", "Publisher", "发布人"),
    ("open", "Open", "未处理"),
    ("acknowledged", "Acknowledged", "已确认"),
    ("resolved", "Resolved", "已解决"),
    (
        "sources_fed",
        "Sources and their freshness",
        "数据源及更新情况",
    ),
    ("files", "Files", "文件数"),
    ("file", "File", "文件"),
    ("latest_file", "Latest file", "最近一次接收"),
    ("quality_issues", "Quality issues", "数据质量问题"),
    (
        "no_quality_issues",
        "No quality issue has been raised (xinrong quality assesses the sources).",
        "暂无数据质量问题（由 xinrong quality 评估各数据源）。",
    ),
    ("check", "Check", "检查项"),
    ("issue_history", "History", "处理记录"),
    ("ingest_history", "Ingest history", "数据接入记录"),
    ("page_newer", "Newer", "更新"),
    ("page_first", "Newest", "最新"),
    ("check_completeness", "Completeness", "完整性"),
    ("check_validity", "Validity", "有效性"),
    ("check_uniqueness", "Uniqueness", "唯一性"),
    ("check_timeliness", "Timeliness", "及时性"),
    ("check_consistency", "Consistency", "一致性"),
    ("issue_open", "Open", "待通知"),
    ("issue_notified", "Provider told", "已通知提供方"),
    ("issue_fixed", "Fixed", "已修复"),
    ("issue_accepted", "Accepted", "已接受"),
    ("applied", "Applied", "已申请"),
    ("approved", "Approved", "已批准"),
    ("declined", "Declined", "已拒绝"),
    ("contracted", "Contracted", "已签约"),
    ("active", "Repaying", "还款中"),
    ("defaulted", "Defaulted", "已违约"),
    ("closed", "Closed", "已结清"),
    ("written_off", "Written off", "已核销"),
    ("normal", "Normal", "正常"),
    ("special_mention", "Special mention", "关注"),
    ("substandard", "Substandard", "次级"),
    ("doubtful", "Doubtful", "可疑"),
    ("loss", "Loss", "损失"),
    ("warning", "Warning", "预警"),
    ("stopped", "Stopped at the cap", "已达上限暂停"),
    ("draft", "Draft", "草稿"),
    ("challenger", "Challenger", "挑战者"),
    ("retired", "Retired", "已退役"),
    ("decided", "Decided", "已决策"),
    ("repaid", "Repaid", "已还款"),
    (
        "consent_ended",
        "no longer live (revoked or expired): nothing new is shown under it",
        "已失效（撤销或到期）：不再据此展示新数据",
    ),
    (
        "checkpoints_issued",
        "Signed checkpoints issued, newest first",
        "已签发的检查点（最新在前）",
    ),
];

/// The words of one language, by key.
pub fn words(lang: Lang) -> &'static BTreeMap<&'static str, &'static str> {
    static ZH: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    static EN: OnceLock<BTreeMap<&str, &str>> = OnceLock::new();
    match lang {
        Lang::Zh => ZH.get_or_init(|| WORDS.iter().map(|w| (w.0, w.2)).collect()),
        Lang::En => EN.get_or_init(|| WORDS.iter().map(|w| (w.0, w.1)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_once() {
        let mut keys = std::collections::HashSet::new();
        for (k, en, zh) in WORDS {
            assert!(keys.insert(k), "{k} twice");
            assert!(!en.is_empty() && !zh.is_empty(), "{k}");
        }
        assert_eq!(words(Lang::Zh).len(), WORDS.len());
    }

    #[test]
    fn the_language_comes_from_the_cookie_then_the_browser() {
        assert_eq!(Lang::choose(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::choose(None, Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(
            Lang::choose(None, Some("fr, zh-CN;q=0.8, en;q=0.5")),
            Lang::Zh
        );
        assert_eq!(Lang::choose(Some("xx"), None), Lang::Zh);
    }
}
