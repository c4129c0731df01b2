//! The division code newtype.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Division, division};
use crate::error::{Error, Result};

/// A well-formed GB/T 2260 division code: six ASCII digits.
///
/// Well-formed is all [`DivisionCode::parse`] checks; whether the code is in the table is a
/// separate question ([`DivisionCode::division`]), since an unknown code is accepted with a
/// warning rather than rejected.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode([u8; 6]);

impl DivisionCode {
    /// Parses six ASCII digits; anything else is [`Error::DivisionCodeFormat`].
    pub fn parse(text: &str) -> Result<Self> {
        let bytes: [u8; 6] = text
            .as_bytes()
            .try_into()
            .map_err(|_| Error::DivisionCodeFormat {
                len: text.chars().count(),
            })?;
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(Error::DivisionCodeFormat {
                len: text.chars().count(),
            });
        }
        Ok(Self(bytes))
    }

    /// The code as text, e.g. `"211104"`.
    pub fn as_str(&self) -> &str {
        // Six ASCII digits by construction, so always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Whether this is a county-level code (the last two digits are not `00`).
    pub fn is_county_level(&self) -> bool {
        &self.0[4..] != b"00"
    }

    /// Whether this is a province-level code (`xx0000`).
    pub fn is_province_level(&self) -> bool {
        &self.0[2..] == b"0000"
    }

    /// The prefecture-level code above this one: the first four digits and `00`
    /// (`211104` → `211100`). For a prefecture- or province-level code, the code itself.
    pub fn prefecture(&self) -> DivisionCode {
        let mut bytes = self.0;
        bytes[4..].copy_from_slice(b"00");
        Self(bytes)
    }

    /// The province-level code above this one: the first two digits and `0000`.
    pub fn province(&self) -> DivisionCode {
        let mut bytes = self.0;
        bytes[2..].copy_from_slice(b"0000");
        Self(bytes)
    }

    /// The division this code stands for, or `None` when the table does not know it.
    pub fn division(&self) -> Option<&'static Division> {
        division(self.as_str())
    }
}

impl fmt::Debug for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DivisionCode({})", self.as_str())
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DivisionCode {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = Error;

    fn try_from(text: String) -> Result<Self> {
        Self::parse(&text)
    }
}

impl From<DivisionCode> for String {
    fn from(code: DivisionCode) -> Self {
        code.as_str().to_owned()
    }
}
