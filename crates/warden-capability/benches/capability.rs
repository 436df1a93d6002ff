//! Benchmarks of minting a task capability and of the per-call path as the
//! gateway runs it: attenuate the verified task capability into a call token,
//! then authorize the call token against the call's facts.
//!
//! Run with `cargo bench -p warden-capability`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly when its fixtures break"
)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use warden_capability::{
    ArgConstraint, CallFacts, CallScope, CallSigner, KeyRing, Scalar, TaskGrant, ToolPattern,
    attenuate_for_call, authorize, mint_task_capability, parse, to_base64,
};

fn grant() -> TaskGrant {
    TaskGrant {
        task_id: "task-1".into(),
        identity: "spiffe://example.org/agent/reviewer".into(),
        tools: vec![
            ToolPattern::parse("fs.read_file").unwrap(),
            ToolPattern::parse("fs.list_directory").unwrap(),
            ToolPattern::parse("tickets.*").unwrap(),
        ],
        constraints: vec![
            ArgConstraint::Prefix {
                arg: "path".into(),
                prefix: "/srv/data/".into(),
            },
            ArgConstraint::Range {
                arg: "limit".into(),
                min: Some(1),
                max: Some(100),
            },
        ],
        expires_at: SystemTime::now() + Duration::from_secs(3600),
    }
}

fn facts() -> CallFacts {
    CallFacts {
        identity: "spiffe://example.org/agent/reviewer".into(),
        task: "task-1".into(),
        tool: "fs.read_file".into(),
        call_id: "call-1".into(),
        args_digest: "0f".repeat(32),
        args: vec![
            ("path".into(), Scalar::Str("/srv/data/report.txt".into())),
            ("limit".into(), Scalar::Int(10)),
        ],
        now: SystemTime::now(),
    }
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::TempDir::new().unwrap();
    let ring = KeyRing::init(&dir.path().join("keys")).unwrap();
    let grant = grant();

    c.bench_function("mint_task_capability", |b| {
        b.iter(|| mint_task_capability(&ring, black_box(&grant)).unwrap())
    });

    let text = to_base64(&mint_task_capability(&ring, &grant).unwrap()).unwrap();
    c.bench_function("parse_and_verify", |b| {
        b.iter(|| parse(black_box(text.as_bytes()), &ring))
    });

    let verified = parse(text.as_bytes(), &ring).unwrap();
    let facts = facts();
    c.bench_function("authorize_verified", |b| {
        b.iter(|| authorize(&verified, black_box(&facts)).unwrap())
    });

    let scope = CallScope {
        tool: facts.tool.clone(),
        call_id: facts.call_id.clone(),
        args_digest: facts.args_digest.clone(),
        expires_at: facts.now + Duration::from_secs(30),
    };
    c.bench_function("attenuate_for_call", |b| {
        b.iter(|| attenuate_for_call(&verified, black_box(&scope)).unwrap())
    });

    let signer = CallSigner::new();
    c.bench_function("attenuate_and_authorize_call_token", |b| {
        b.iter(|| {
            let scope = CallScope {
                tool: facts.tool.clone(),
                call_id: facts.call_id.clone(),
                args_digest: facts.args_digest.clone(),
                expires_at: facts.now + Duration::from_secs(30),
            };
            let call_token = signer.attenuate(&verified, black_box(&scope)).unwrap();
            authorize(&call_token, black_box(&facts)).unwrap()
        })
    });
}

criterion_group!(capability, benches);
criterion_main!(capability);
