//! One module per `relief` subcommand.

pub mod certs;
pub mod demo;
pub mod dev;
pub mod health;
pub mod migrate;
pub mod reencrypt;
pub mod report;
