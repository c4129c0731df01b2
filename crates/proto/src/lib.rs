//! The relief gRPC contract, generated from `proto/` at build time.
//!
//! One module per protobuf package, named as the package is. [`FILE_DESCRIPTOR_SET`] feeds gRPC
//! reflection so `grpcurl list` and `describe` work against every service.

/// The encoded `FileDescriptorSet` of every relief `.proto` file, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("relief_descriptor");

/// `relief.common.v1`: types shared by several services.
pub mod common {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.common.v1");
    }
}

/// `relief.events.v1`: the event feed every service serves.
pub mod events {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.events.v1");
    }
}

/// `relief.intake.v1`: the intake service.
pub mod intake {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.intake.v1");
    }
}

/// `relief.identity.v1`: the identity-query service.
pub mod identity {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.identity.v1");
    }
}

/// `relief.foster.v1`: the foster-supervision service.
pub mod foster {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.foster.v1");
    }
}

/// `relief.reporting.v1`: the reporting service.
pub mod reporting {
    /// Version 1.
    pub mod v1 {
        tonic::include_proto!("relief.reporting.v1");
    }
}
