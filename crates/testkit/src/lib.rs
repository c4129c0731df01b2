//! relief testkit.
