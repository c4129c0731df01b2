//! relief proto.
