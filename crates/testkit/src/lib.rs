//! Test support for relief: a test PKI, fresh databases on both backends, an in-process cluster
//! of the four services (with pools on their databases, and a test per backend:
//! [`cluster_tests!`]), the fixed units and other fixtures, and a polling helper with a generous
//! ceiling.
//!
//! PostgreSQL tests read `RELIEF_TEST_POSTGRES_URL` (a role allowed to create databases). When it
//! is missing they fail loudly under CI (`CI` set) and are skipped with a message elsewhere.

#![allow(clippy::unwrap_used, reason = "test support: a panic is a failed test")]

pub mod cluster;
pub mod database;
pub mod fixtures;
pub mod keys;
pub mod logs;
pub mod pki;
pub mod scene;
pub mod wait;

pub use cluster::{Cluster, ClusterBuilder};
pub use database::{TestBackend, TestDatabase};
pub use pki::TestPki;
pub use wait::wait_until;

use std::path::PathBuf;

/// The repository's `deploy/` directory (units.toml, holidays.toml).
pub fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}
