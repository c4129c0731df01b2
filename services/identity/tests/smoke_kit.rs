//! The shared test kit compiles and starts a cluster (removed once real tests use it).

#![allow(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

#[macro_use]
#[path = "common/kit.rs"]
mod kit;

use kit::*;

cluster_tests!(the_kit_starts, |kit| {
    assert!(kit.now() <= chrono::Utc::now() + chrono::Duration::minutes(1));
    kit.cluster.restart("identity").await;
    kit.stop().await;
});
