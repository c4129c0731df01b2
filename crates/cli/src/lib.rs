//! The `relief` command's library: the table of the four services, shared by `relief dev` and
//! the testkit's in-process cluster, and the operator commands.

pub mod commands;
pub mod services;
