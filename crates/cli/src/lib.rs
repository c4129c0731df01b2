//! relief cli.
