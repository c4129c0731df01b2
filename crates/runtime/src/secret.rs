//! A value that must never reach a log: `Debug` and `Display` print a placeholder.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Wraps a secret (a database URL with a password, a key). Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Secret(value)
    }

    /// The secret value; call only where it is used, never to log it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(**redacted**)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_value() {
        let secret = Secret::new("postgres://relief:hunter2@db/relief".to_owned());
        let printed = format!("{secret:?} {:?}", Some(&secret));
        assert!(!printed.contains("hunter2"), "{printed}");
    }
}
