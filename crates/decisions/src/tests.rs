use serde_json::json;

use super::*;

const FIELDS: &[&str] = &["pd", "overdue_days", "grade"];

fn graph(hit_policy: &str, rows: serde_json::Value) -> String {
    json!({
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "content": {}},
            {"id": "t", "type": "decisionTableNode", "name": "refusals", "content": {
                "hitPolicy": hit_policy,
                "inputs": [
                    {"id": "c_pd", "name": "PD", "field": "pd"},
                    {"id": "c_od", "name": "Overdue", "field": "overdue_days"}
                ],
                "outputs": [
                    {"id": "o_rule", "name": "Rule", "field": "rule"},
                    {"id": "o_reason", "name": "Reason", "field": "reason"}
                ],
                "rules": rows
            }},
            {"id": "out", "type": "outputNode", "name": "response", "content": {}}
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "t"},
            {"id": "e2", "sourceId": "t", "targetId": "out"}
        ]
    })
    .to_string()
}

fn refusals() -> serde_json::Value {
    json!([
        {"_id": "pd_cap", "c_pd": "> 0.02", "c_od": "", "o_rule": "\"pd_cap\"", "o_reason": "\"PD above 2%\""},
        {"_id": "overdue", "c_pd": "", "c_od": "> 0", "o_rule": "\"overdue\"", "o_reason": "\"overdue now\""}
    ])
}

#[test]
fn a_collect_table_lists_every_refusal_with_its_row() {
    let rules = Rules::load("credit", &graph("collect", refusals()), FIELDS).unwrap();
    assert_eq!(rules.inputs(), ["overdue_days", "pd"]);
    let both = rules
        .evaluate(&json!({"pd": 0.05, "overdue_days": 12}))
        .unwrap();
    assert_eq!(both.matched, ["pd_cap", "overdue"]);
    assert_eq!(both.result.as_array().unwrap().len(), 2);
    let none = rules
        .evaluate(&json!({"pd": 0.01, "overdue_days": 0}))
        .unwrap();
    assert!(none.matched.is_empty(), "{none:?}");
    assert_eq!(rules.sha256().len(), 64);
}

#[test]
fn without_the_trace_the_same_rows_match_and_the_same_result_comes_out() {
    for policy in ["collect", "first"] {
        let rules = Rules::load("credit", &graph(policy, refusals()), FIELDS).unwrap();
        for input in [
            json!({"pd": 0.05, "overdue_days": 12}),
            json!({"pd": 0.05, "overdue_days": 0}),
            json!({"pd": 0.01, "overdue_days": 3}),
            json!({"pd": 0.01, "overdue_days": 0}),
        ] {
            let traced = rules.evaluate(&input).unwrap();
            let untraced = rules.evaluate_untraced(&input).unwrap();
            assert_eq!(untraced.matched, traced.matched, "{policy} {input}");
            assert_eq!(untraced.result, traced.result, "{policy} {input}");
            assert!(traced.trace.is_object(), "{policy} {input}");
            assert!(untraced.trace.is_null(), "{policy} {input}");
        }
    }
    // The first-hit table names its one row; the collect table both.
    let first = Rules::load("credit", &graph("first", refusals()), FIELDS).unwrap();
    let both = json!({"pd": 0.05, "overdue_days": 12});
    assert_eq!(first.evaluate_untraced(&both).unwrap().matched, ["pd_cap"]);
    let collect = Rules::load("credit", &graph("collect", refusals()), FIELDS).unwrap();
    assert_eq!(
        collect.evaluate_untraced(&both).unwrap().matched,
        ["pd_cap", "overdue"]
    );
}

#[test]
fn malformed_or_contradictory_rules_are_refused_by_name_row_and_column() {
    let unknown = graph("collect", refusals()).replace("\"overdue_days\"", "\"overdue_dayz\"");
    let e = Rules::load("credit", &unknown, FIELDS)
        .unwrap_err()
        .to_string();
    assert!(e.contains("credit") && e.contains("overdue_dayz"), "{e}");

    let bad_cell = graph(
        "collect",
        json!([{"_id": "r1", "c_pd": ">= = 0.02", "o_rule": "\"x\"", "o_reason": "\"y\""}]),
    );
    let e = Rules::load("credit", &bad_cell, FIELDS)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row r1") && e.contains("column pd"), "{e}");

    let everyone = graph(
        "collect",
        json!([{"_id": "all", "c_pd": "", "c_od": "", "o_rule": "\"x\"", "o_reason": "\"y\""}]),
    );
    let e = Rules::load("credit", &everyone, FIELDS)
        .unwrap_err()
        .to_string();
    assert!(e.contains("row all") && e.contains("everyone"), "{e}");

    let shadowed = graph(
        "first",
        json!([
            {"_id": "catch", "c_pd": "", "c_od": "", "o_rule": "\"x\"", "o_reason": "\"y\""},
            {"_id": "never", "c_pd": "> 0.5", "c_od": "", "o_rule": "\"z\"", "o_reason": "\"w\""}
        ]),
    );
    let e = Rules::load("credit", &shadowed, FIELDS)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row never") && e.contains("can never match"),
        "{e}"
    );

    let unique = graph("unique", refusals());
    assert!(matches!(
        Rules::load("credit", &unique, FIELDS),
        Err(RuleError::Malformed { .. })
    ));
    let code = graph("collect", refusals()).replace("decisionTableNode", "functionNode");
    assert!(Rules::load("credit", &code, FIELDS).is_err());
    assert!(Rules::load("credit", "{not json", FIELDS).is_err());
}
