//! relief identity service.
