//! relief intake service.
