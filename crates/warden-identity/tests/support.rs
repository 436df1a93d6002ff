//! Test support: signing keys and tokens made independently of the crate's
//! verifier, a test certificate authority, and bundle files on disk.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the support code"
)]
#![allow(
    unreachable_pub,
    reason = "support items are shared by several test binaries"
)]

pub mod agent;
pub mod bundles;
pub mod certs;
pub mod keys;
