//! relief foster service.
