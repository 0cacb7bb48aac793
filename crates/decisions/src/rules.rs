//! One set of rules: a GoRules JDM graph, checked when it is loaded and evaluated with its
//! trace.
//!
//! zen-engine evaluates what it is given: a table cell it cannot parse simply never matches, a
//! field the input lacks compares false, and a catch-all row shadows every row after it. For
//! rules that decide who gets credit, each of those would silently answer "yes" or "no", so
//! [`Rules::load`] refuses a graph, naming the rule set, the row and the column, when:
//! - it is not a JDM graph, or its graph is not well formed (a cycle, an edge to nowhere);
//! - a node is a JavaScript function (no code runs inside rules);
//! - a table reads a field the caller did not declare ([`Fields`]);
//! - a cell is not a valid unary test (inputs) or expression (outputs);
//! - a row of a `first` table can never be reached (an earlier row matches everything);
//! - a row of a `collect` table of refusals matches everything (nobody could ever pass).
//!
//! Evaluation is synchronous: zen-engine's evaluation of a graph without loaders or function
//! nodes completes on its first poll, and its values are not `Send`, so it is driven to
//! completion here and answered as plain JSON.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use serde_json::Value;
use sha2::{Digest as _, Sha256};
use zen_engine::model::DecisionContent;
use zen_engine::{Decision, DecisionEngine, DecisionGraphTrace, EvaluationOptions, Variable};

/// Why rules were refused or could not be evaluated.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum RuleError {
    /// The text is not a JDM graph, or its graph is not well formed.
    #[error("rules {rules}: {reason}")]
    Malformed {
        /// The rule set.
        rules: String,
        /// Why.
        reason: String,
    },
    /// A table reads a field the caller does not supply.
    #[error("rules {rules}: table {table} reads unknown field '{field}' (known: {known})")]
    UnknownField {
        /// The rule set.
        rules: String,
        /// The table node.
        table: String,
        /// The field.
        field: String,
        /// The fields the caller declared.
        known: String,
    },
    /// A cell does not parse.
    #[error("rules {rules}: table {table}, row {row}, column {column}: {reason}")]
    BadCell {
        /// The rule set.
        rules: String,
        /// The table node.
        table: String,
        /// The row's `_id`.
        row: String,
        /// The column.
        column: String,
        /// Why.
        reason: String,
    },
    /// Rows contradict each other or the table's purpose.
    #[error("rules {rules}: table {table}, row {row}: {reason}")]
    Contradictory {
        /// The rule set.
        rules: String,
        /// The table node.
        table: String,
        /// The row.
        row: String,
        /// Why.
        reason: String,
    },
    /// Evaluation failed (an expression node erred, the depth limit was hit).
    #[error("rules {rules}: evaluation failed: {reason}")]
    Evaluation {
        /// The rule set.
        rules: String,
        /// Why.
        reason: String,
    },
}

/// The fields rules may read, as the caller supplies them.
pub trait Fields {
    /// Whether `field` (a path such as `pd` or `firm.age`) is supplied.
    fn knows(&self, field: &str) -> bool;
    /// Every field, for messages.
    fn list(&self) -> Vec<String>;
}

impl Fields for [&str] {
    fn knows(&self, field: &str) -> bool {
        self.contains(&field)
    }
    fn list(&self) -> Vec<String> {
        self.iter().map(|f| f.to_string()).collect()
    }
}

/// One row of a table, kept for explanations.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The table node's name.
    pub table: String,
    /// The row's `_id`.
    pub id: String,
    /// Its `_description`, if any.
    pub description: String,
    /// Its input tests, by field (empty cells left out).
    pub tests: Vec<(String, String)>,
    /// Its outputs, by field.
    pub outputs: Vec<(String, String)>,
}

/// A checked rule set, ready to evaluate.
pub struct Rules {
    name: String,
    decision: Decision,
    inputs: Vec<String>,
    rows: Vec<Row>,
    sha256: String,
}

/// What an evaluation answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The graph's result.
    pub result: Value,
    /// The engine's trace: per node, its input, output and the rows that matched.
    pub trace: Value,
    /// The `_id`s of the rows that matched, in order.
    pub matched: Vec<String>,
}

const ALLOWED_NODES: [&str; 5] = [
    "inputNode",
    "outputNode",
    "decisionTableNode",
    "expressionNode",
    "switchNode",
];

impl std::fmt::Debug for Rules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rules")
            .field("name", &self.name)
            .field("inputs", &self.inputs)
            .field("rows", &self.rows.len())
            .field("sha256", &self.sha256)
            .finish()
    }
}

impl Rules {
    /// Loads and checks the rule set `name` from JDM JSON, reading only `fields`.
    pub fn load(
        name: &str,
        json: &str,
        fields: &(impl Fields + ?Sized),
    ) -> Result<Rules, RuleError> {
        let malformed = |reason: String| RuleError::Malformed {
            rules: name.to_string(),
            reason,
        };
        let raw: Value =
            serde_json::from_str(json).map_err(|e| malformed(format!("not JSON: {e}")))?;
        let content: DecisionContent = serde_json::from_value(raw.clone())
            .map_err(|e| malformed(format!("not a JDM graph: {e}")))?;
        let mut decision = DecisionEngine::default()
            .create_decision(Arc::new(content))
            .map_err(|e| malformed(format!("{e:?}")))?;
        decision
            .validate()
            .map_err(|e| malformed(format!("graph: {e}")))?;
        // Expressions compiled once at load, not parsed again at every evaluation.
        decision.compile();
        let (inputs, rows) = check_tables(name, &raw, fields)?;
        Ok(Rules {
            name: name.to_string(),
            decision,
            inputs,
            rows,
            sha256: hex::encode(Sha256::digest(json.as_bytes())),
        })
    }

    /// The rule set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every field the tables read.
    pub fn inputs(&self) -> &[String] {
        &self.inputs
    }

    /// Every row of every table, in order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// SHA-256 of the rule text: the version a decision records.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Evaluates the rules on `input` (a JSON object of the declared fields), with the engine's
    /// trace as JSON.
    pub fn evaluate(&self, input: &Value) -> Result<Outcome, RuleError> {
        self.run(input, true)
    }

    /// Evaluates the rules on `input` and names the rows that matched, leaving out the engine's
    /// trace (`Outcome::trace` is null): the trace repeats the input at every node, and turning
    /// it into JSON costs more than the evaluation itself, so a caller that keeps the rules'
    /// version and the input (which reproduce the trace) asks for it only when it is shown.
    pub fn evaluate_untraced(&self, input: &Value) -> Result<Outcome, RuleError> {
        self.run(input, false)
    }

    fn run(&self, input: &Value, keep_trace: bool) -> Result<Outcome, RuleError> {
        let failed = |reason: String| RuleError::Evaluation {
            rules: self.name.clone(),
            reason,
        };
        // The engine traces either way: the trace is where it says which rows matched.
        let options = EvaluationOptions {
            trace: true,
            max_depth: 8,
        };
        let mut future = std::pin::pin!(self.decision.evaluate_with_opts(input.into(), options));
        let response = match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(Ok(r)) => r,
            Poll::Ready(Err(e)) => {
                return Err(failed(
                    serde_json::to_string(&*e).unwrap_or_else(|_| "unknown".into()),
                ));
            }
            Poll::Pending => return Err(failed("the rules waited on something".into())),
        };
        let result = response.result.to_value();
        let graph = response.trace.as_ref().and_then(|t| t.as_graph());
        let matched = graph.map(|g| matched_rows(g.values())).unwrap_or_default();
        let trace = match keep_trace {
            true => serde_json::to_value(&response.trace).unwrap_or(Value::Null),
            false => Value::Null,
        };
        Ok(Outcome {
            result,
            trace,
            matched,
        })
    }
}

/// The `_id`s of the matched rows, from the trace of every table node, in the order the nodes
/// ran.
fn matched_rows<'a>(nodes: impl Iterator<Item = &'a DecisionGraphTrace>) -> Vec<String> {
    let mut nodes: Vec<&DecisionGraphTrace> = nodes.collect();
    nodes.sort_by_key(|n| n.order);
    let mut out = Vec::new();
    let mut push = |row: &Variable| {
        if let Some(id) = row.dot("rule._id")
            && let Some(id) = id.as_str()
        {
            out.push(id.to_string());
        }
    };
    for node in nodes {
        match &node.trace_data {
            Some(Variable::Array(rows)) => rows.borrow().iter().for_each(&mut push),
            Some(row @ Variable::Object(_)) => push(row),
            _ => {}
        }
    }
    out
}

/// Checks every node and table; the fields read and the rows.
fn check_tables(
    name: &str,
    raw: &Value,
    fields: &(impl Fields + ?Sized),
) -> Result<(Vec<String>, Vec<Row>), RuleError> {
    let malformed = |reason: String| RuleError::Malformed {
        rules: name.to_string(),
        reason,
    };
    let nodes = raw
        .get("nodes")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed("no nodes".into()))?;
    let mut inputs = BTreeSet::new();
    let mut rows = Vec::new();
    let mut tables = 0;
    for node in nodes {
        let kind = node.get("type").and_then(Value::as_str).unwrap_or("");
        let table = node
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| node.get("id").and_then(Value::as_str))
            .unwrap_or("?")
            .to_string();
        if !ALLOWED_NODES.contains(&kind) {
            return Err(malformed(format!(
                "node {table} is a {kind}; rules hold tables, expressions and switches only"
            )));
        }
        if kind != "decisionTableNode" {
            continue;
        }
        tables += 1;
        let content = node.get("content").unwrap_or(&Value::Null);
        let policy = content
            .get("hitPolicy")
            .and_then(Value::as_str)
            .unwrap_or("first");
        let columns = |key: &str| -> Vec<(String, String)> {
            content
                .get(key)
                .and_then(Value::as_array)
                .map(|cols| {
                    cols.iter()
                        .map(|c| {
                            (
                                c.get("id")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                                c.get("field")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let (in_cols, out_cols) = (columns("inputs"), columns("outputs"));
        for (_, field) in &in_cols {
            if field.is_empty() {
                continue;
            }
            if !fields.knows(field) {
                return Err(RuleError::UnknownField {
                    rules: name.to_string(),
                    table,
                    field: field.clone(),
                    known: fields.list().join(", "),
                });
            }
            inputs.insert(field.clone());
        }
        let table_rows = content
            .get("rules")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if table_rows.is_empty() {
            return Err(malformed(format!("table {table} has no rows")));
        }
        for (k, row) in table_rows.iter().enumerate() {
            let id = row
                .get("_id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("#{}", k + 1));
            let cell = |col: &str| {
                row.get(col)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string()
            };
            let bad = |column: &str, reason: String| RuleError::BadCell {
                rules: name.to_string(),
                table: table.clone(),
                row: id.clone(),
                column: column.to_string(),
                reason,
            };
            let mut tests = Vec::new();
            for (col, field) in &in_cols {
                let text = cell(col);
                if text.is_empty() {
                    continue;
                }
                zen_expression::validate::validate_unary_expression(&text)
                    .map_err(|e| bad(field, format!("'{text}' is not a test: {e:?}")))?;
                tests.push((field.clone(), text));
            }
            let mut outputs = Vec::new();
            for (col, field) in &out_cols {
                let text = cell(col);
                if text.is_empty() {
                    continue;
                }
                zen_expression::validate::validate_expression(&text)
                    .map_err(|e| bad(field, format!("'{text}' is not an expression: {e:?}")))?;
                outputs.push((field.clone(), text));
            }
            let catch_all = tests.is_empty();
            if catch_all && policy == "collect" {
                return Err(RuleError::Contradictory {
                    rules: name.to_string(),
                    table,
                    row: id,
                    reason:
                        "a collect row with no test matches every input: it would apply to everyone"
                            .into(),
                });
            }
            if catch_all && policy == "first" && k + 1 < table_rows.len() {
                let shadowed = table_rows[k + 1]
                    .get("_id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string();
                return Err(RuleError::Contradictory {
                    rules: name.to_string(),
                    table,
                    row: shadowed,
                    reason: format!("can never match: row {id} before it matches every input"),
                });
            }
            rows.push(Row {
                table: table.clone(),
                id,
                description: row
                    .get("_description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                tests,
                outputs,
            });
        }
    }
    if tables == 0 {
        return Err(malformed("no decision table".into()));
    }
    Ok((inputs.into_iter().collect(), rows))
}
