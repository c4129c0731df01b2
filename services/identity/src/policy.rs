//! Which caller kinds may call each RPC of the identity service (DOMAIN.md, "Callers"). A method
//! missing here is refused to everyone; a test fails if one is missing.

use relief_runtime::AccessPolicy;

/// The allow-list of the identity service.
pub fn policy() -> AccessPolicy {
    AccessPolicy::new()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_rpc_has_an_access_rule() {
        let missing = super::policy()
            .methods_without_rule(relief_proto::FILE_DESCRIPTOR_SET, crate::GRPC_SERVICE);
        assert!(
            missing.is_empty(),
            "methods without an access rule: {missing:?}"
        );
    }
}
