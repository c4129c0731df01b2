//! Personal-data keys for tests: random on every call, so no key is ever a constant in the
//! repository.

use relief_runtime::config::PersonalDataConfig;
use relief_runtime::personal_data;
use relief_runtime::secret::Secret;

/// The key id [`personal_data_config`] makes active.
pub const TEST_KEY_ID: &str = "k1";

/// A random key (base64 of 32 bytes), e.g. to add a `k2` for a rotation test.
pub fn random_key() -> Secret<String> {
    personal_data::generate_key().unwrap()
}

/// A configuration with one random key, [`TEST_KEY_ID`], active, and a random blind-index key.
pub fn personal_data_config() -> PersonalDataConfig {
    personal_data::generate_config(TEST_KEY_ID).unwrap()
}
