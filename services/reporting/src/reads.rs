//! The read side: one module per report, each answering from the read models only (never from
//! raw events), scoped by [`crate::areas::Scope`].

pub mod accountability;
pub mod alerts;
pub mod dashboard;
pub mod funds;
pub mod ingestion;
pub mod major;
pub mod statistics;
