//! The field cipher: AES-256-GCM, one random nonce per encryption, the key id in every
//! ciphertext, and associated data binding each ciphertext to its table, column and row.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Generate, KeyInit, Nonce, Payload};
use base64::Engine as _;

use super::{BASE64, PersonalDataError, SensitiveColumn, config_error, decode_key};
use crate::config::{ConfigError, PersonalDataConfig};
use crate::secret::Secret;

/// The version prefix of every ciphertext written now: `v1:<key_id>:<base64>`.
pub const CIPHERTEXT_VERSION: &str = "v1";

/// The start of the associated data; bump with [`CIPHERTEXT_VERSION`].
const AAD_DOMAIN: &[u8] = b"relief.personal_data.v1";

const NONCE_BYTES: usize = 12;
const TAG_BYTES: usize = 16;
const MAX_KEY_ID_CHARS: usize = 32;

/// AES-256-GCM keys by id, and the id new values are written under. `Debug` prints ids only.
#[derive(Clone)]
pub struct FieldCipher {
    keys: BTreeMap<String, Aes256Gcm>,
    active: String,
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("active", &self.active)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl FieldCipher {
    /// Builds the cipher from `keys` and `active_key`, each error naming its configuration key.
    pub(super) fn from_config(config: &PersonalDataConfig) -> Result<FieldCipher, ConfigError> {
        let mut keys = BTreeMap::new();
        for (key_id, key) in &config.keys {
            let config_key = format!("personal_data.keys.{key_id}");
            if !is_key_id(key_id) {
                return Err(config_error(
                    &config_key,
                    format!(
                        "a key id is 1-{MAX_KEY_ID_CHARS} characters of A-Z a-z 0-9 _ - (it is \
                         stored in every ciphertext)"
                    ),
                ));
            }
            let bytes = decode_key(&config_key, key)?;
            keys.insert(key_id.clone(), Aes256Gcm::new(&bytes.into()));
        }
        if !keys.contains_key(&config.active_key) {
            let ids: Vec<&str> = keys.keys().map(String::as_str).collect();
            return Err(config_error(
                "personal_data.active_key",
                format!("must name one of the configured keys ({})", ids.join(", ")),
            ));
        }
        Ok(FieldCipher {
            keys,
            active: config.active_key.clone(),
        })
    }

    /// The key id new ciphertexts are written under.
    pub fn active_key_id(&self) -> &str {
        &self.active
    }

    /// Encrypts `plaintext` for `column` of row `row_id` under the active key.
    pub fn encrypt(
        &self,
        column: &SensitiveColumn,
        row_id: &str,
        plaintext: &[u8],
    ) -> Result<String, PersonalDataError> {
        let key = self
            .keys
            .get(&self.active)
            .ok_or_else(|| PersonalDataError::UnknownKey {
                key_id: self.active.clone(),
            })?;
        let nonce = Nonce::<Aes256Gcm>::try_generate().map_err(|_| PersonalDataError::Random)?;
        let aad = associated_data(&self.active, column, row_id);
        let sealed = key
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            // Encryption fails only past 64 GiB of plaintext.
            .map_err(|_| PersonalDataError::TooLarge)?;
        let mut body = Vec::with_capacity(NONCE_BYTES + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(format!(
            "{CIPHERTEXT_VERSION}:{}:{}",
            self.active,
            BASE64.encode(body)
        ))
    }

    /// Decrypts a value read from `column` of row `row_id`, with the key its id names.
    pub fn decrypt(
        &self,
        column: &SensitiveColumn,
        row_id: &str,
        ciphertext: &str,
    ) -> Result<Secret<Vec<u8>>, PersonalDataError> {
        let (key_id, body) = split(ciphertext).ok_or(PersonalDataError::Malformed)?;
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| PersonalDataError::UnknownKey {
                key_id: key_id.to_owned(),
            })?;
        let body = BASE64
            .decode(body)
            .map_err(|_| PersonalDataError::Malformed)?;
        if body.len() < NONCE_BYTES + TAG_BYTES {
            return Err(PersonalDataError::Malformed);
        }
        let (nonce, sealed) = body.split_at(NONCE_BYTES);
        let nonce =
            Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| PersonalDataError::Malformed)?;
        let aad = associated_data(key_id, column, row_id);
        key.decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: &aad,
            },
        )
        .map(Secret::new)
        .map_err(|_| PersonalDataError::Undecryptable {
            column: column.to_string(),
        })
    }
}

/// The key id a stored value was written under, if it is a relief ciphertext.
pub fn key_id_of(ciphertext: &str) -> Option<&str> {
    split(ciphertext).map(|(key_id, _)| key_id)
}

/// `v1:<key_id>:<body>` → (key id, body).
fn split(ciphertext: &str) -> Option<(&str, &str)> {
    let rest = ciphertext
        .strip_prefix(CIPHERTEXT_VERSION)?
        .strip_prefix(':')?;
    let (key_id, body) = rest.split_once(':')?;
    is_key_id(key_id).then_some((key_id, body))
}

fn is_key_id(key_id: &str) -> bool {
    !key_id.is_empty()
        && key_id.len() <= MAX_KEY_ID_CHARS
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
}

/// The AAD: the domain, then key id, table, column and row id, each length-prefixed so no two
/// different places share one AAD.
fn associated_data(key_id: &str, column: &SensitiveColumn, row_id: &str) -> Vec<u8> {
    let parts = [key_id, column.table, column.column, row_id];
    let mut aad =
        Vec::with_capacity(AAD_DOMAIN.len() + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    aad.extend_from_slice(AAD_DOMAIN);
    for part in parts {
        // Row ids and names are far below 4 GiB; saturate rather than wrap if one ever is not.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(part.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    const PEOPLE_NAME: SensitiveColumn = SensitiveColumn {
        table: "people",
        id_column: "id",
        column: "name",
    };
    const PEOPLE_ID_NUMBER: SensitiveColumn = SensitiveColumn {
        table: "people",
        id_column: "id",
        column: "id_number",
    };

    fn cipher(active: &str, ids: &[&str]) -> (FieldCipher, PersonalDataConfig) {
        let config = config(active, ids);
        (FieldCipher::from_config(&config).unwrap(), config)
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let (cipher, _) = cipher("k1", &["k1"]);
        let first = cipher
            .encrypt(&PEOPLE_NAME, "p1", "张三丰".as_bytes())
            .unwrap();
        let second = cipher
            .encrypt(&PEOPLE_NAME, "p1", "张三丰".as_bytes())
            .unwrap();
        assert_ne!(first, second, "a nonce was reused");
        assert!(first.starts_with("v1:k1:"), "{first}");
        assert_eq!(key_id_of(&first), Some("k1"));
        for ciphertext in [&first, &second] {
            let plaintext = cipher.decrypt(&PEOPLE_NAME, "p1", ciphertext).unwrap();
            assert_eq!(plaintext.expose().as_slice(), "张三丰".as_bytes());
        }
        let empty = cipher.encrypt(&PEOPLE_NAME, "p1", b"").unwrap();
        assert!(
            cipher
                .decrypt(&PEOPLE_NAME, "p1", &empty)
                .unwrap()
                .expose()
                .is_empty()
        );
    }

    #[test]
    fn another_row_column_or_table_does_not_decrypt() {
        let (cipher, _) = cipher("k1", &["k1"]);
        let ciphertext = cipher
            .encrypt(&PEOPLE_NAME, "p1", b"210102199001011234")
            .unwrap();
        let other_table = SensitiveColumn {
            table: "visitors",
            ..PEOPLE_NAME
        };
        for (column, row) in [
            (&PEOPLE_NAME, "p2"),
            (&PEOPLE_ID_NUMBER, "p1"),
            (&other_table, "p1"),
        ] {
            assert!(matches!(
                cipher.decrypt(column, row, &ciphertext),
                Err(PersonalDataError::Undecryptable { .. })
            ));
        }
    }

    #[test]
    fn a_tampered_ciphertext_does_not_decrypt() {
        let (cipher, _) = cipher("k1", &["k1"]);
        let ciphertext = cipher.encrypt(&PEOPLE_NAME, "p1", b"plain").unwrap();
        let (key_id, body) = split(&ciphertext).unwrap();
        let mut bytes = BASE64.decode(body).unwrap();
        for index in [0, NONCE_BYTES, bytes.len() - 1] {
            bytes[index] ^= 0x01;
            let tampered = format!("v1:{key_id}:{}", BASE64.encode(&bytes));
            assert!(matches!(
                cipher.decrypt(&PEOPLE_NAME, "p1", &tampered),
                Err(PersonalDataError::Undecryptable { .. })
            ));
            bytes[index] ^= 0x01;
        }
        for malformed in [
            "",
            "plain",
            "v1:k1",
            "v2:k1:AAAA",
            "v1:k1:!!!",
            "v1:k1:AAAA",
        ] {
            assert!(
                matches!(
                    cipher.decrypt(&PEOPLE_NAME, "p1", malformed),
                    Err(PersonalDataError::Malformed)
                ),
                "{malformed}"
            );
        }
    }

    #[test]
    fn an_unknown_or_relabelled_key_id_does_not_decrypt() {
        let (old, _) = cipher("k1", &["k1"]);
        let (new, _) = cipher("k2", &["k2"]);
        let ciphertext = old.encrypt(&PEOPLE_NAME, "p1", b"plain").unwrap();
        match new.decrypt(&PEOPLE_NAME, "p1", &ciphertext) {
            Err(error @ PersonalDataError::UnknownKey { .. }) => {
                assert!(!error.to_string().contains("plain"));
            }
            other => panic!("expected UnknownKey, got {other:?}"),
        }
        // The same body relabelled with another configured key id fails authentication.
        let relabelled = ciphertext.replacen("v1:k1:", "v1:k2:", 1);
        assert!(matches!(
            new.decrypt(&PEOPLE_NAME, "p1", &relabelled),
            Err(PersonalDataError::Undecryptable { .. })
        ));
    }

    #[test]
    fn old_keys_decrypt_and_new_writes_use_the_active_key() {
        let mut config = config("k1", &["k1"]);
        let k1 = FieldCipher::from_config(&config).unwrap();
        let old = k1.encrypt(&PEOPLE_NAME, "p1", b"plain").unwrap();
        config.keys.insert("k2".to_owned(), generate_key_for_test());
        config.active_key = "k2".to_owned();
        let both = FieldCipher::from_config(&config).unwrap();
        assert_eq!(
            both.decrypt(&PEOPLE_NAME, "p1", &old)
                .unwrap()
                .expose()
                .as_slice(),
            b"plain"
        );
        let new = both.encrypt(&PEOPLE_NAME, "p1", b"plain").unwrap();
        assert_eq!(key_id_of(&new), Some("k2"));
    }

    #[test]
    fn debug_prints_key_ids_but_no_key() {
        let (cipher, config) = cipher("k1", &["k1", "k2"]);
        let printed = format!("{cipher:?}");
        assert!(
            printed.contains("k1") && printed.contains("k2"),
            "{printed}"
        );
        for key in config.keys.values() {
            assert!(!printed.contains(key.expose().as_str()), "{printed}");
        }
    }

    fn generate_key_for_test() -> Secret<String> {
        super::super::generate_key().unwrap()
    }
}
