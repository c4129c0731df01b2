//! relief runtime.
