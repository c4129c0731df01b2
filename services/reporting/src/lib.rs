//! relief reporting service.
