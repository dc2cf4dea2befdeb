//! Generation of unique usernames and random passwords for test accounts.
//!
//! The formats satisfy Usher's default registration rules. A username has
//! 7–32 characters, starts with a letter and uses only `a-z 0-9 . _ = - /`.
//! A password has 8–128 characters, is not all digits and does not contain
//! the username. Synapse accepts the same formats.

use std::sync::atomic::{AtomicU64, Ordering};

use rand::distributions::Alphanumeric;
use rand::Rng;

const USERNAME_PREFIX: &str = "bench";
const RUN_ID_LEN: usize = 5;
const PASSWORD_LEN: usize = 20;

/// Source of usernames `bench<run id><counter>`, unique within one run and, by the random run ID, across runs.
#[derive(Debug)]
pub struct NameGenerator {
    run_id: String,
    next: AtomicU64,
}

impl NameGenerator {
    /// Creates a generator with a random run ID of lowercase letters and digits.
    pub fn new() -> Self {
        const RUN_ID_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::thread_rng();
        let run_id = (0..RUN_ID_LEN).map(|_| char::from(RUN_ID_CHARS[rng.gen_range(0..RUN_ID_CHARS.len())])).collect();
        Self::with_run_id(run_id)
    }

    pub fn with_run_id(run_id: String) -> Self {
        Self { run_id, next: AtomicU64::new(1) }
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// Returns the next username, for example `benchk3x9a00001`. Safe to call from many tasks.
    pub fn next_username(&self) -> String {
        let counter = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{USERNAME_PREFIX}{}{counter:05}", self.run_id)
    }
}

/// Returns a random 20-character alphanumeric password that starts with a letter and does not contain `username`.
pub fn random_password(username: &str) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    loop {
        let first = char::from(LETTERS[rng.gen_range(0..LETTERS.len())]);
        let rest: String = (&mut rng).sample_iter(Alphanumeric).take(PASSWORD_LEN - 1).map(char::from).collect();
        let password = format!("{first}{rest}");
        if !password.to_lowercase().contains(&username.to_lowercase()) {
            return password;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_valid_username(name: &str) -> bool {
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._=-/".contains(c);
        (7..=32).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.chars().all(allowed)
    }

    #[test]
    fn usernames_are_unique_and_valid() {
        let names = NameGenerator::new();
        let first = names.next_username();
        let second = names.next_username();
        assert_ne!(first, second);
        assert!(is_valid_username(&first), "{first}");
        assert!(first.contains(names.run_id()));
    }

    #[test]
    fn username_format_is_stable() {
        let names = NameGenerator::with_run_id("k3x9a".to_owned());
        assert_eq!(names.next_username(), "benchk3x9a00001");
        assert_eq!(names.next_username(), "benchk3x9a00002");
    }

    #[test]
    fn username_stays_valid_past_counter_width() {
        let names = NameGenerator::with_run_id("k3x9a".to_owned());
        names.next.store(1_234_567, Ordering::Relaxed);
        let name = names.next_username();
        assert_eq!(name, "benchk3x9a1234567");
        assert!(is_valid_username(&name));
    }

    #[test]
    fn passwords_follow_rules() {
        for _ in 0..100 {
            let password = random_password("benchk3x9a00001");
            assert_eq!(password.len(), PASSWORD_LEN);
            assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(password.starts_with(|c: char| c.is_ascii_alphabetic()));
            assert!(!password.contains("benchk3x9a00001"));
        }
    }
}
