//! Password hashing, access tokens and the server secret.
//!
//! Passwords are hashed with argon2id at OWASP's minimum parameters
//! (19 MiB, 2 iterations, 1 lane) on tokio's blocking pool, never on the
//! async worker threads. Access tokens carry 256 random bits and are stored
//! as their SHA-256 hash.

use std::cell::RefCell;
use std::sync::OnceLock;

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::{OsRng, StdRng};
use rand::{RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use usher_core::Error;

/// argon2id memory cost in KiB (19 MiB).
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
/// argon2id iterations.
pub const ARGON2_ITERATIONS: u32 = 2;
/// argon2id lanes.
pub const ARGON2_LANES: u32 = 1;
/// Length of the stored hash in bytes.
const HASH_BYTES: usize = 32;
/// Length of a new salt in bytes.
const SALT_BYTES: usize = 16;

fn params() -> Params {
    Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, Some(HASH_BYTES))
        .expect("constant argon2 parameters are valid")
}

/// Bounds concurrent hashes to the number of cores, because more would only
/// queue for the CPU while each keeps its 19 MiB.
fn hash_permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get())))
}

thread_local! {
    /// Each blocking thread keeps its argon2 memory between hashes. Freeing
    /// and reallocating 19 MiB per hash makes glibc's malloc keep the freed
    /// blocks in per-thread arenas, which grew the server to gigabytes.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs argon2id into `out` with the thread's reusable memory.
fn argon2_into(params: Params, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() != params.block_count() {
            blocks.clear();
            blocks.resize(params.block_count(), Block::default());
        }
        hasher.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

/// Runs a CPU-heavy closure on the blocking pool, at most one per core.
async fn run_bounded<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    let _permit = hash_permits().acquire().await.map_err(|_| Error::internal())?;
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "password hashing task failed");
        Error::internal()
    })
}

fn hash_blocking(password: &str) -> Result<String, String> {
    let mut salt = [0u8; SALT_BYTES];
    OsRng.fill_bytes(&mut salt);
    let mut out = [0u8; HASH_BYTES];
    let params = params();
    argon2_into(params.clone(), password.as_bytes(), &salt, &mut out).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|e: argon2::password_hash::Error| e.to_string())?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

fn verify_blocking(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    if argon2_into(params, password.as_bytes(), salt, &mut out).is_err() {
        return false;
    }
    // `Output` compares in constant time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// Hashes a password into a PHC string, on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, Error> {
    run_bounded(move || hash_blocking(&password)).await?.map_err(|e| {
        tracing::error!(error = %e, "password hashing failed");
        Error::internal()
    })
}

/// A PHC string of a random password, verified against when the account
/// does not exist so unknown accounts take as long as wrong passwords.
static DUMMY_HASH: OnceLock<String> = OnceLock::new();

/// Verifies a password against a stored PHC hash, on the blocking pool.
/// `None` as the hash runs a verification against a dummy hash and returns
/// false, so the caller's timing does not reveal whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, Error> {
    run_bounded(move || {
        let known = hash.is_some();
        let hash = hash
            .unwrap_or_else(|| DUMMY_HASH.get_or_init(|| hash_blocking(&random_token()).unwrap_or_default()).clone());
        let matches = verify_blocking(&password, &hash);
        known && matches
    })
    .await
}

/// Generates a random token: 256 bits, URL-safe base64.
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

    /// Returns a CSPRNG seeded with HMAC-SHA256(secret, purpose ‖ 0 ‖ parts joined by 0).
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
    async fn verifies_hashes_of_the_argon2_crate() {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let reference = Argon2::new(Algorithm::Argon2id, Version::V0x13, params())
            .hash_password(b"Correct-Horse-42x", &salt)
            .expect("reference hash")
            .to_string();
        assert!(verify_password("Correct-Horse-42x".into(), Some(reference.clone())).await.expect("verify"));
        assert!(!verify_password("Correct-Horse-43x".into(), Some(reference)).await.expect("verify"));
    }

    #[tokio::test]
    async fn rejects_malformed_hashes() {
        for bad in
            ["", "$argon2id$", "$bcrypt$v=2$x", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"]
        {
            assert!(!verify_password("x".into(), Some(bad.into())).await.expect("verify"), "{bad}");
        }
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
