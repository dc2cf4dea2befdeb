//! Generated account names and initial passwords.
//!
//! The caller passes the random number generator, which must be a CSPRNG
//! (such as `rand::rngs::OsRng`) outside of tests.

use rand::{CryptoRng, Rng};

use crate::rules::RegistrationRules;

/// Letters and digits without look-alikes (no `0 o 1 l i`), so a printed
/// name or password can be typed back without guessing.
const UNAMBIGUOUS_LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const UNAMBIGUOUS_MIXED: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const LETTERS: &[u8] = b"abcdefghjkmnpqrstuvwxyz";

/// Length of generated passwords. 20 characters from a 55-symbol alphabet
/// carry about 115 bits of entropy.
pub const GENERATED_PASSWORD_LENGTH: usize = 20;

fn pick(rng: &mut (impl Rng + CryptoRng), alphabet: &[u8], length: usize) -> String {
    (0..length).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// Generates an account name that passes the given rules: a letter followed
/// by unambiguous letters and digits, at least 10 characters long.
///
/// It may still collide with an existing account; the caller retries.
pub fn username(rng: &mut (impl Rng + CryptoRng), rules: &RegistrationRules) -> String {
    let length = rules.username.min_length.max(10).min(rules.username.max_length.max(1));
    let mut name = pick(rng, LETTERS, 1);
    name.push_str(&pick(rng, UNAMBIGUOUS_LOWER, length.saturating_sub(1)));
    name
}

/// Generates a strong initial password that passes the given rules.
pub fn password(rng: &mut (impl Rng + CryptoRng), rules: &RegistrationRules, username: &str) -> String {
    let length = GENERATED_PASSWORD_LENGTH.max(rules.password.min_length).min(rules.password.max_length.max(1));
    loop {
        let candidate = pick(rng, UNAMBIGUOUS_MIXED, length);
        if rules.check_password(&candidate, username).is_empty() {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn generated_usernames_pass_rules() {
        let rules = RegistrationRules::default();
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..500 {
            let name = username(&mut rng, &rules);
            assert!(rules.check_username(&name).is_empty(), "{name}");
        }
    }

    #[test]
    fn generated_passwords_pass_rules() {
        let rules = RegistrationRules::default();
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..500 {
            let pw = password(&mut rng, &rules, "zhangsan01");
            assert_eq!(pw.len(), GENERATED_PASSWORD_LENGTH);
            assert!(rules.check_password(&pw, "zhangsan01").is_empty(), "{pw}");
        }
    }

    #[test]
    fn generated_password_respects_longer_minimum() {
        let mut rules = RegistrationRules::default();
        rules.password.min_length = 30;
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(password(&mut rng, &rules, "x").len(), 30);
    }
}
