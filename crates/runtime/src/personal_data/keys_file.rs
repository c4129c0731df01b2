//! Generated keys: for `relief dev` (a keys file made on first start, readable by its owner
//! only) and for tests. Production keys come from the operator's secret store through
//! configuration (`RELIEF_PERSONAL_DATA__KEYS__<ID>`, `RELIEF_PERSONAL_DATA__ACTIVE_KEY`,
//! `RELIEF_PERSONAL_DATA__BLIND_INDEX_KEY`).

use std::io::Write as _;
use std::path::Path;

use aes_gcm::aead::Generate;
use base64::Engine as _;

use super::{BASE64, PersonalDataError};
use crate::config::PersonalDataConfig;
use crate::secret::Secret;

/// The keys file `relief dev` keeps in its data directory.
pub const KEYS_FILE_NAME: &str = "personal-data-keys.toml";

const HEADER: &str = "# Personal-data keys of `relief dev` (generated on first start). Keep this file \
                      private:\n# without it the personal data in this directory cannot be read.\n";

/// A new random key: base64 of 32 bytes from the system's secure generator.
pub fn generate_key() -> Result<Secret<String>, PersonalDataError> {
    let bytes = <[u8; 32]>::try_generate().map_err(|_| PersonalDataError::Random)?;
    Ok(Secret::new(BASE64.encode(bytes)))
}

/// A configuration with one new key `key_id` (active) and a new blind-index key.
pub fn generate_config(key_id: &str) -> Result<PersonalDataConfig, PersonalDataError> {
    let mut config = PersonalDataConfig {
        active_key: key_id.to_owned(),
        blind_index_key: Some(generate_key()?),
        ..PersonalDataConfig::default()
    };
    config.keys.insert(key_id.to_owned(), generate_key()?);
    Ok(config)
}

/// Reads the keys file at `path`, or, when there is none, generates keys (`dev-1`, active, and a
/// blind-index key) and writes them there with mode 0600. Returns the keys and whether the file
/// was created.
pub fn load_or_create_keys_file(path: &Path) -> std::io::Result<(PersonalDataConfig, bool)> {
    let invalid = |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        let config: PersonalDataConfig = toml::from_str(&text)
            // The parse error's message may quote the file: name the file only.
            .map_err(|_| invalid(format!("{} is not a valid keys file", path.display())))?;
        return Ok((config, false));
    }
    let config = generate_config("dev-1").map_err(std::io::Error::other)?;
    let text = toml::to_string(&config).map_err(|e| invalid(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(HEADER.as_bytes())?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok((config, true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::personal_data::PersonalData;

    #[test]
    fn a_keys_file_is_created_private_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEYS_FILE_NAME);
        let (created, was_created) = load_or_create_keys_file(&path).unwrap();
        assert!(was_created);
        assert!(PersonalData::from_config(&created).unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (read, was_created) = load_or_create_keys_file(&path).unwrap();
        assert!(!was_created);
        assert_eq!(read, created);
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(
            generate_key().unwrap().expose(),
            generate_key().unwrap().expose()
        );
    }
}
