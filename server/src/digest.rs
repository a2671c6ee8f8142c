//! The one way the server turns text into a fixed-size key: lower-case hex SHA-256.
//!
//! Used wherever a value must be stored or compared without keeping the value itself
//! (password-reset tokens, idempotent request fingerprints) or must fit a column whatever
//! was typed (throttle keys for odd emails).

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, as 64 lower-case hex digits.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sha256_hex;

    #[test]
    fn the_digest_of_abc_is_the_published_one() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
