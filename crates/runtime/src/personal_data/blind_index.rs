//! The blind index: a keyed hash of a normalised value, so services can find "the person with
//! this ID number" without decrypting every row, and without the index revealing the value to
//! anyone who lacks the key.

use std::fmt;
use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The start of every MAC input; bump it to rebuild every index.
const DOMAIN: &[u8] = b"relief.blind_index.v1";

/// Which field a value is indexed as. The label enters the MAC, so the same text in two fields
/// gives two unrelated indexes; since the index is shared between services, every service must
/// use these labels (add a kind here rather than inventing a label elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlindIndexKind {
    /// A GB 11643 resident ID number: trimmed and ASCII-uppercased (`x` → `X`).
    IdNumber,
    /// A person's name: trimmed.
    Name,
}

impl BlindIndexKind {
    /// The label that enters the MAC.
    pub fn label(self) -> &'static str {
        match self {
            BlindIndexKind::IdNumber => "id_number",
            BlindIndexKind::Name => "name",
        }
    }

    /// The value as it is indexed.
    fn normalise(self, value: &str) -> String {
        let trimmed = value.trim();
        match self {
            BlindIndexKind::IdNumber => trimmed.to_ascii_uppercase(),
            BlindIndexKind::Name => trimmed.to_owned(),
        }
    }
}

/// HMAC-SHA256 under the shared blind-index key. `Debug` prints nothing of the key.
#[derive(Clone)]
pub struct BlindIndex {
    mac: Hmac<Sha256>,
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindIndex(**redacted**)")
    }
}

impl BlindIndex {
    /// An index under `key` (32 bytes).
    pub fn new(key: &[u8; 32]) -> BlindIndex {
        // HMAC pads a key shorter than the hash's block (64 bytes) with zeros (RFC 2104), so
        // passing the padded block is the same MAC as passing the 32-byte key, without the
        // variable-length constructor's impossible error.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(key);
        BlindIndex {
            mac: <Hmac<Sha256> as KeyInit>::new(&block.into()),
        }
    }

    /// The index of `value` as a `kind` field: 64 lowercase hex characters. Equal normalised
    /// values give equal indexes; nothing else is meaningful about them.
    pub fn compute(&self, kind: BlindIndexKind, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(DOMAIN);
        mac.update(&[0]);
        mac.update(kind.label().as_bytes());
        mac.update(&[0]);
        mac.update(kind.normalise(value).as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(digest.len() * 2);
        for byte in digest {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_after_normalisation_and_distinct_across_fields_and_keys() {
        let index = BlindIndex::new(&[7; 32]);
        let id = "21110219900101123x";
        let value = index.compute(BlindIndexKind::IdNumber, id);
        assert_eq!(value.len(), 64);
        assert!(value.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(
            value,
            index.compute(BlindIndexKind::IdNumber, " 21110219900101123X\n")
        );
        assert_ne!(
            value,
            index.compute(BlindIndexKind::IdNumber, "211102199001011239")
        );
        assert_ne!(value, index.compute(BlindIndexKind::Name, id));
        assert_ne!(
            value,
            BlindIndex::new(&[8; 32]).compute(BlindIndexKind::IdNumber, id)
        );
        // Names are not case-folded.
        assert_ne!(
            index.compute(BlindIndexKind::Name, "li"),
            index.compute(BlindIndexKind::Name, "LI")
        );
    }

    #[test]
    fn the_padded_key_is_the_same_mac_as_the_key() {
        let key = [0x5a; 32];
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        mac.update(b"relief.blind_index.v1\x00id_number\x00211102199001011239");
        let expected: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            BlindIndex::new(&key).compute(BlindIndexKind::IdNumber, "211102199001011239"),
            expected
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let printed = format!("{:?}", BlindIndex::new(&[0x41; 32]));
        assert!(!printed.contains("AAAA"), "{printed}");
    }
}
