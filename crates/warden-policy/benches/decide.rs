//! One `call_tool` decision under the default policy set, the cost every
//! tool call pays: `cargo bench -p warden-policy --bench decide`.

#![allow(missing_docs, reason = "benchmark harness")]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::SystemTime;

use criterion::{Criterion, criterion_group, criterion_main};
use warden_policy::{ArgValue, EvalLimits, Operation, PolicyRequest, PolicySet};

fn default_set() -> PolicySet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    PolicySet::load_dir(&dir, EvalLimits::default())
        .unwrap_or_else(|error| panic!("the default set must load: {error}"))
}

fn get_ticket_request() -> PolicyRequest {
    let mut request = PolicyRequest::new(
        Operation::CallTool,
        "spiffe://example.org/agent/demo",
        SystemTime::now(),
    );
    request.upstream = Some("demo".to_owned());
    request.tool = Some("demo.get_ticket".to_owned());
    request.annotations = vec!["read_only".to_owned(), "idempotent".to_owned()];
    request.args = vec![("id".to_owned(), ArgValue::Int(1))];
    request.calls_made = Some(3);
    request
}

fn decide(c: &mut Criterion) {
    let set = default_set();
    let request = get_ticket_request();
    assert!(set.decide(&request).is_allowed());

    c.bench_function("call_tool decision under the default set", |b| {
        b.iter(|| set.decide(black_box(&request)))
    });
}

criterion_group!(benches, decide);
criterion_main!(benches);
