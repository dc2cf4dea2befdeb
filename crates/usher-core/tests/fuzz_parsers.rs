//! Property tests that feed arbitrary input to every parser in the domain
//! crate: none may panic, and normalization and generation keep their
//! promises on any input.

use proptest::prelude::*;
use usher_core::rules::{RegistrationRules, USERNAME_SYMBOLS};
use usher_core::username::{localpart_of, normalize};
use usher_core::Lang;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn serde_translation_never_panics(
        input in "(field \"[a-z.]{0,8}\": )?(invalid (type|value|length) |unknown (field|variant) |missing field )?[ -~\u{4e00}-\u{4e10}`\"]{0,40}",
    ) {
        let translated = usher_core::serde_zh::translate(&input);
        prop_assert!(!translated.is_empty() || input.is_empty());
    }

    #[test]
    fn normalize_is_idempotent(input in any::<String>()) {
        let once = normalize(&input);
        prop_assert_eq!(normalize(&once), once);
    }

    #[test]
    fn normalize_folds_full_width(ascii in "[a-z0-9]{1,32}") {
        let wide: String = ascii.chars().map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)).collect();
        prop_assert_eq!(normalize(&wide.to_uppercase()), ascii);
    }

    #[test]
    fn accepted_names_use_allowed_characters(input in any::<String>()) {
        let rules = RegistrationRules::default();
        let name = normalize(&input);
        if rules.check_username(&name).is_empty() {
            prop_assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || USERNAME_SYMBOLS.contains(c)));
            prop_assert!((7..=32).contains(&name.len()));
        }
    }

    #[test]
    fn password_check_never_panics(password in any::<String>(), name in any::<String>()) {
        let rules = RegistrationRules::default();
        let violations = rules.check_password(&password, &normalize(&name));
        for violation in violations {
            prop_assert!(!violation.message(Lang::En).is_empty());
            prop_assert!(!violation.message(Lang::ZhCn).is_empty());
        }
    }

    #[test]
    fn accept_language_never_panics(header in any::<String>()) {
        let _ = Lang::from_accept_language(Some(&header));
    }

    #[test]
    fn localpart_of_is_a_substring(input in any::<String>()) {
        prop_assert!(input.contains(localpart_of(&input)));
    }
}
