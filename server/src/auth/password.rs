//! Password hashing.
//!
//! bcrypt reads only the first 72 bytes of its input, so two long passphrases sharing a
//! prefix would be the same password. We feed it the base64 of HMAC-SHA256(pepper,
//! password) instead (44 bytes, whatever the password's length), as OWASP's password
//! storage cheat sheet describes; the pepper is a server secret, so a stolen database alone
//! is not enough to test guesses.
//!
//! bcrypt is slow on purpose (about 0.3 s at cost 12), so it runs on tokio's blocking pool
//! and never stalls the async workers that serve other requests.

use std::sync::Arc;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{config::PasswordSettings, error::ApiError};

/// A bcrypt hash as stored in the database. Not `Serialize`: it never leaves the server.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}

/// Hashes and verifies passwords with the server's pepper and cost.
#[derive(Clone)]
pub struct PasswordHasher {
    pepper: Arc<Vec<u8>>,
    cost: u32,
    /// A real hash of a random password, verified against when an email is unknown so
    /// that a failed login takes as long whether or not the account exists.
    dummy_hash: Arc<str>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// Builds the hasher, computing its dummy hash (one bcrypt, on the blocking pool).
    ///
    /// # Errors
    /// An [`ApiError::Internal`] if bcrypt fails, which only an invalid cost can cause.
    pub async fn new(settings: &PasswordSettings) -> Result<Self, ApiError> {
        let pepper = Arc::new(settings.pepper.expose().to_vec());
        let cost = settings.bcrypt_cost;
        let dummy_input = prehash(&pepper, uuid::Uuid::new_v4().to_string().as_bytes());
        let dummy_hash = blocking(move || bcrypt::hash(dummy_input, cost))
            .await?
            .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))?;
        Ok(Self {
            pepper,
            cost,
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes a new password.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if bcrypt fails.
    pub async fn hash(&self, password: &str) -> Result<PasswordHash, ApiError> {
        let input = prehash(&self.pepper, password.as_bytes());
        let cost = self.cost;
        blocking(move || bcrypt::hash(input, cost))
            .await?
            .map(PasswordHash)
            .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))
    }

    /// Whether `password` is the one `hash` was made from. A malformed stored hash
    /// counts as a mismatch (and is logged).
    ///
    /// # Errors
    /// [`ApiError::Internal`] if the blocking pool is gone.
    pub async fn verify(&self, password: &str, hash: &PasswordHash) -> Result<bool, ApiError> {
        let input = prehash(&self.pepper, password.as_bytes());
        let hash = hash.0.clone();
        let verified = blocking(move || bcrypt::verify(input, &hash)).await?;
        Ok(verified.unwrap_or_else(|e| {
            tracing::error!(error = %e, "stored password hash is unreadable");
            false
        }))
    }

    /// Spends the time of one verification without a real hash, and always fails.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if the blocking pool is gone.
    pub async fn dummy_verify(&self, password: &str) -> Result<(), ApiError> {
        let dummy = PasswordHash(self.dummy_hash.to_string());
        self.verify(password, &dummy).await.map(|_| ())
    }
}

/// base64(HMAC-SHA256(pepper, password)): a fixed 44 bytes, under bcrypt's 72.
fn prehash(pepper: &[u8], password: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(pepper).expect("HMAC takes keys of any length");
    mac.update(password);
    STANDARD.encode(mac.finalize().into_bytes())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("password hashing task failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::{PasswordHasher, prehash};
    use crate::config::{PasswordSettings, Secret};

    async fn hasher() -> PasswordHasher {
        PasswordHasher::new(&PasswordSettings {
            pepper: Secret::new("p".repeat(32)),
            bcrypt_cost: 4,
        })
        .await
        .unwrap()
    }

    #[test]
    fn prehash_fits_in_bcrypts_72_bytes_and_depends_on_every_byte() {
        let long = "x".repeat(100);
        let longer = format!("{long}y");
        assert_eq!(prehash(b"k", long.as_bytes()).len(), 44);
        assert_ne!(
            prehash(b"k", long.as_bytes()),
            prehash(b"k", longer.as_bytes())
        );
    }

    #[tokio::test]
    async fn passwords_differing_after_byte_72_are_different_passwords() {
        let hasher = hasher().await;
        let base = "a".repeat(80);
        let hash = hasher.hash(&format!("{base}1")).await.unwrap();
        assert!(hasher.verify(&format!("{base}1"), &hash).await.unwrap());
        assert!(!hasher.verify(&format!("{base}2"), &hash).await.unwrap());
    }

    #[tokio::test]
    async fn the_pepper_is_part_of_the_hash() {
        let hasher = hasher().await;
        let other = PasswordHasher::new(&PasswordSettings {
            pepper: Secret::new("q".repeat(32)),
            bcrypt_cost: 4,
        })
        .await
        .unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(!other.verify("correct horse", &hash).await.unwrap());
    }
}
