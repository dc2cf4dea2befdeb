//! Password hashing, access tokens and the server secret.
//!
//! Passwords are hashed with argon2id at OWASP's minimum parameters
//! (19 MiB, 2 iterations, 1 lane) on tokio's blocking pool, never on the
//! async worker threads. Access tokens carry 256 random bits and are stored
//! as their SHA-256 hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::{OsRng, StdRng};
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use usher_core::Error;

/// argon2id memory cost in KiB (19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// argon2id iterations.
pub const ARGON2_ITERATIONS: u32 = 2;
/// argon2id lanes.
pub const ARGON2_LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string, on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        Error::internal()
    })?
    .map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        Error::internal()
    })
}

/// A PHC string of a random password, verified against when the account
/// does not exist so unknown accounts take as long as wrong passwords.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Verifies a password against a stored PHC hash, on the blocking pool.
/// `None` as the hash runs a verification against a dummy hash and returns
/// false, so the caller's timing does not reveal whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, Error> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| {
            DUMMY_HASH
                .get_or_init(|| {
                    let salt = SaltString::generate(&mut OsRng);
                    argon2()
                        .hash_password(random_token().as_bytes(), &salt)
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let matches = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
        known && matches
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "password verification task failed");
        Error::internal()
    })
}

/// A new random token: 256 bits, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a token or request body, lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The server's 256-bit secret, kept in the data directory. Used to derive
/// values that must be reproducible without being stored, such as the
/// generated initial password of an idempotent registration.
#[derive(Clone)]
pub struct ServerSecret([u8; 32]);

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ServerSecret(bytes)
    }

    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        ServerSecret(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A CSPRNG seeded with HMAC-SHA256(secret, purpose ‖ 0 ‖ parts joined by 0).
    /// The same inputs give the same sequence; without the secret it cannot
    /// be predicted.
    pub fn derived_rng(&self, purpose: &str, parts: &[&str]) -> StdRng {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC accepts any key length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part.as_bytes());
        }
        let seed: [u8; 32] = mac.finalize().into_bytes().into();
        StdRng::from_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[tokio::test]
    async fn hash_then_verify() {
        let hash = hash_password("Correct-Horse-42x".into()).await.expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("Correct-Horse-42x".into(), Some(hash.clone())).await.expect("verify"));
        assert!(!verify_password("wrong-password".into(), Some(hash)).await.expect("verify"));
    }

    #[tokio::test]
    async fn verify_unknown_account_fails() {
        assert!(!verify_password("anything".into(), None).await.expect("verify"));
    }

    #[test]
    fn tokens_are_unique_and_long() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
    }

    #[test]
    fn derived_rng_reproducible() {
        let secret = ServerSecret::from_bytes([7; 32]);
        let a: u64 = secret.derived_rng("p", &["x", "y"]).gen();
        let b: u64 = secret.derived_rng("p", &["x", "y"]).gen();
        let c: u64 = secret.derived_rng("p", &["xy", ""]).gen();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn secret_not_printed() {
        assert_eq!(format!("{:?}", ServerSecret::from_bytes([1; 32])), "ServerSecret(..)");
    }
}
