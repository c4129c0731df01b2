//! Generates the relief contract from `proto/` with the vendored protoc (no system protoc).

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut protos = Vec::new();
    collect_protos(&proto_root, &mut protos)?;
    protos.sort();
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }

    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    // `prost::Name` for every message, so events pack into `Any` with their full type URL.
    config.enable_type_names();
    let well_known_types = protoc_bin_vendored::include_path()?;
    tonic_prost_build::configure()
        .file_descriptor_set_path(out_dir.join("relief_descriptor.bin"))
        .compile_with_config(config, &protos, &[proto_root, well_known_types])?;
    Ok(())
}

/// Every `.proto` file below `dir`, so a new file needs no edit here.
fn collect_protos(dir: &Path, protos: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect_protos(&path, protos)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            protos.push(path);
        }
    }
    Ok(())
}
