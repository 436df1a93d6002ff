//! Facts and checks built directly as Datalog terms, for the per-call path
//! where parsing Datalog source on every call would cost more than the
//! evaluation itself. Values are terms, never source, so nothing can inject.

use std::time::SystemTime;

use biscuit_auth::builder::{
    Binary, Check, CheckKind, Expression, Fact, Op, Term, check, constrained_rule, fact, pred, var,
};

use crate::params;

/// A fact with string values, such as `tool("fs.read_file")`.
pub(crate) fn string_fact(name: &str, values: &[&str]) -> Fact {
    let terms: Vec<Term> = values.iter().map(|v| params::string(v)).collect();
    fact(name, &terms)
}

/// `check if <name>("<value>")`.
pub(crate) fn check_equals(name: &str, value: &str) -> Check {
    check(&[pred(name, &[params::string(value)])], CheckKind::One)
}

/// `check if time($t), $t <= <expiry>`.
pub(crate) fn check_time_before(expiry: SystemTime) -> Check {
    let before = Expression {
        ops: vec![
            Op::Value(var("t")),
            Op::Value(params::date(expiry)),
            Op::Binary(Binary::LessOrEqual),
        ],
    };
    let no_head: &[Term] = &[];
    let rule = constrained_rule("query", no_head, &[pred("time", &[var("t")])], &[before]);
    Check {
        queries: vec![rule],
        kind: CheckKind::One,
    }
}
