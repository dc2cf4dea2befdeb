//! Registration rules for account names and passwords.
//!
//! Every rule has a stable id (`username.too_short`, ...) that clients can
//! branch on, and a localized message. A check returns **all** violations at
//! once, so a person fixes a form in one round trip.

use serde::{Deserialize, Serialize};

use crate::{password_blocklist, Lang};

/// Stable identifiers of the registration rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleId {
    #[serde(rename = "username.too_short")]
    UsernameTooShort,
    #[serde(rename = "username.too_long")]
    UsernameTooLong,
    #[serde(rename = "username.starts_with_digit")]
    UsernameStartsWithDigit,
    #[serde(rename = "username.must_start_with_letter")]
    UsernameMustStartWithLetter,
    #[serde(rename = "username.invalid_characters")]
    UsernameInvalidCharacters,
    #[serde(rename = "username.reserved")]
    UsernameReserved,
    #[serde(rename = "username.taken")]
    UsernameTaken,
    #[serde(rename = "password.too_short")]
    PasswordTooShort,
    #[serde(rename = "password.too_long")]
    PasswordTooLong,
    #[serde(rename = "password.all_digits")]
    PasswordAllDigits,
    #[serde(rename = "password.too_common")]
    PasswordTooCommon,
    #[serde(rename = "password.contains_username")]
    PasswordContainsUsername,
}

impl RuleId {
    /// Returns the stable id, as sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::UsernameTooShort => "username.too_short",
            RuleId::UsernameTooLong => "username.too_long",
            RuleId::UsernameStartsWithDigit => "username.starts_with_digit",
            RuleId::UsernameMustStartWithLetter => "username.must_start_with_letter",
            RuleId::UsernameInvalidCharacters => "username.invalid_characters",
            RuleId::UsernameReserved => "username.reserved",
            RuleId::UsernameTaken => "username.taken",
            RuleId::PasswordTooShort => "password.too_short",
            RuleId::PasswordTooLong => "password.too_long",
            RuleId::PasswordAllDigits => "password.all_digits",
            RuleId::PasswordTooCommon => "password.too_common",
            RuleId::PasswordContainsUsername => "password.contains_username",
        }
    }

    /// Returns the request field the rule applies to.
    pub fn field(self) -> Field {
        match self {
            RuleId::UsernameTooShort
            | RuleId::UsernameTooLong
            | RuleId::UsernameStartsWithDigit
            | RuleId::UsernameMustStartWithLetter
            | RuleId::UsernameInvalidCharacters
            | RuleId::UsernameReserved
            | RuleId::UsernameTaken => Field::Username,
            _ => Field::Password,
        }
    }
}

/// A field of a registration or activation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Username,
    Password,
    /// The new password of an activation or a password change.
    NewPassword,
}

/// One broken rule, with what the message needs to be specific.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: RuleId,
    /// The request field that broke the rule.
    pub field: Field,
    /// The offending value's detail: the bad characters, the limit, ...
    pub detail: Option<String>,
}

impl Violation {
    pub fn new(rule: RuleId) -> Self {
        Violation { rule, field: rule.field(), detail: None }
    }

    pub fn with_detail(rule: RuleId, detail: impl Into<String>) -> Self {
        Violation { rule, field: rule.field(), detail: Some(detail.into()) }
    }

    /// Names the request field that broke the rule, where it is not the
    /// rule's own (an activation sends its password as `new_password`).
    pub fn in_field(mut self, field: Field) -> Self {
        self.field = field;
        self
    }

    /// Renders the message for a person, naming the problem and the fix.
    pub fn message(&self, lang: Lang) -> String {
        let detail = self.detail.as_deref().unwrap_or("");
        match self.rule {
            RuleId::UsernameTooShort => lang.pick(
                format!("The account name must be at least {detail} characters long."),
                format!("账号名至少需要 {detail} 个字符。"),
            ),
            RuleId::UsernameTooLong => lang.pick(
                format!("The account name must be at most {detail} characters long."),
                format!("账号名最多 {detail} 个字符。"),
            ),
            RuleId::UsernameStartsWithDigit => lang.pick(
                "The account name must start with a letter, not a digit.",
                "账号名必须以字母开头，不能以数字开头。",
            ),
            RuleId::UsernameMustStartWithLetter => lang.pick(
                "The account name must start with a letter a-z.",
                "账号名必须以字母 a-z 开头。",
            ),
            RuleId::UsernameInvalidCharacters => lang.pick(
                format!(
                    "The account name contains characters that are not allowed ({detail}); use only a-z, 0-9 and . _ = - /"
                ),
                format!("账号名包含不允许的字符（{detail}）；只能使用 a-z、0-9 和 . _ = - /"),
            ),
            RuleId::UsernameReserved => lang.pick(
                format!("The account name \"{detail}\" is reserved; choose another one."),
                format!("账号名“{detail}”为保留名称，请换一个。"),
            ),
            RuleId::UsernameTaken => lang.pick(
                format!("The account name \"{detail}\" is already taken; choose another one."),
                format!("账号名“{detail}”已被占用，请换一个。"),
            ),
            RuleId::PasswordTooShort => lang.pick(
                format!("The password must be at least {detail} characters long."),
                format!("密码至少需要 {detail} 个字符。"),
            ),
            RuleId::PasswordTooLong => lang.pick(
                format!("The password must be at most {detail} characters long."),
                format!("密码最多 {detail} 个字符。"),
            ),
            RuleId::PasswordAllDigits => lang.pick(
                "The password must not consist of digits only; add letters or symbols.",
                "密码不能全是数字，请加入字母或符号。",
            ),
            RuleId::PasswordTooCommon => lang.pick(
                "The password is among the most common passwords; choose a less guessable one.",
                "该密码属于最常见的密码之一，请换一个不易猜到的密码。",
            ),
            RuleId::PasswordContainsUsername => lang.pick(
                "The password must not contain the account name.",
                "密码不能包含账号名。",
            ),
        }
    }
}

/// Account-name rules. Defaults follow Matrix localpart grammar, narrowed to
/// what people can read aloud and type on a phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsernameRules {
    /// Minimum length in characters (default 7).
    pub min_length: usize,
    /// Maximum length in characters (default 32).
    pub max_length: usize,
    /// Whether the name must start with a letter a-z (default true).
    pub must_start_with_letter: bool,
    /// Reserved names that no account may take, compared after normalization.
    pub reserved: Vec<String>,
}

impl Default for UsernameRules {
    fn default() -> Self {
        let reserved = [
            "admin",
            "administrator",
            "root",
            "support",
            "system",
            "sysadmin",
            "moderator",
            "postmaster",
            "hostmaster",
            "webmaster",
            "abuse",
            "security",
            "noreply",
            "no-reply",
            "helpdesk",
            "official",
            "usher",
            "matrix",
            "synapse",
            "server",
            "service",
            "notifications",
            "everyone",
            "anonymous",
            "guest",
        ];
        UsernameRules {
            min_length: 7,
            max_length: 32,
            must_start_with_letter: true,
            reserved: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Password rules. Length and a blocklist, with no composition rules, as
/// NIST SP 800-63B (2017 and later) recommends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordRules {
    /// Minimum length in characters (default 8).
    pub min_length: usize,
    /// Maximum length in characters (default 128).
    pub max_length: usize,
    /// Reject passwords made of digits only (default true).
    pub reject_all_digits: bool,
    /// Reject passwords on the built-in list of common passwords (default true).
    pub reject_common: bool,
    /// Reject passwords that contain the account name (default true).
    pub reject_containing_username: bool,
}

impl Default for PasswordRules {
    fn default() -> Self {
        PasswordRules {
            min_length: 8,
            max_length: 128,
            reject_all_digits: true,
            reject_common: true,
            reject_containing_username: true,
        }
    }
}

/// The registration rules in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistrationRules {
    pub username: UsernameRules,
    pub password: PasswordRules,
}

/// Characters allowed in account names besides `a-z` and `0-9`.
pub const USERNAME_SYMBOLS: &str = "._=-/";

fn is_allowed_username_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || USERNAME_SYMBOLS.contains(c)
}

impl RegistrationRules {
    /// Checks a normalized account name and returns every violation.
    ///
    /// Whether the name is taken is not known here; the caller adds
    /// [`RuleId::UsernameTaken`] after asking the store.
    pub fn check_username(&self, name: &str) -> Vec<Violation> {
        let rules = &self.username;
        let mut violations = Vec::new();
        let length = name.chars().count();

        if length < rules.min_length {
            violations.push(Violation::with_detail(RuleId::UsernameTooShort, rules.min_length.to_string()));
        }
        if length > rules.max_length {
            violations.push(Violation::with_detail(RuleId::UsernameTooLong, rules.max_length.to_string()));
        }
        if rules.must_start_with_letter {
            match name.chars().next() {
                Some(c) if c.is_ascii_digit() => {
                    violations.push(Violation::new(RuleId::UsernameStartsWithDigit));
                }
                Some(c) if !c.is_ascii_lowercase() => {
                    violations.push(Violation::new(RuleId::UsernameMustStartWithLetter));
                }
                Some(_) => {}
                None => violations.push(Violation::new(RuleId::UsernameMustStartWithLetter)),
            }
        }

        let mut invalid: Vec<char> = name.chars().filter(|c| !is_allowed_username_char(*c)).collect();
        invalid.dedup();
        if !invalid.is_empty() {
            let shown: String =
                invalid
                    .iter()
                    .take(10)
                    .map(|c| {
                        if c.is_whitespace() || c.is_control() {
                            format!("U+{:04X}", *c as u32)
                        } else {
                            c.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
            violations.push(Violation::with_detail(RuleId::UsernameInvalidCharacters, shown));
        }

        if rules.reserved.iter().any(|r| r == name) {
            violations.push(Violation::with_detail(RuleId::UsernameReserved, name));
        }
        violations
    }

    /// Checks a password for the given normalized account name and returns
    /// every violation.
    pub fn check_password(&self, password: &str, username: &str) -> Vec<Violation> {
        let rules = &self.password;
        let mut violations = Vec::new();
        let length = password.chars().count();

        if length < rules.min_length {
            violations.push(Violation::with_detail(RuleId::PasswordTooShort, rules.min_length.to_string()));
        }
        if length > rules.max_length {
            violations.push(Violation::with_detail(RuleId::PasswordTooLong, rules.max_length.to_string()));
        }
        if rules.reject_all_digits && !password.is_empty() && password.chars().all(|c| c.is_ascii_digit()) {
            violations.push(Violation::new(RuleId::PasswordAllDigits));
        }
        if rules.reject_common && password_blocklist::contains(password) {
            violations.push(Violation::new(RuleId::PasswordTooCommon));
        }
        if rules.reject_containing_username && !username.is_empty() && password.to_lowercase().contains(username) {
            violations.push(Violation::new(RuleId::PasswordContainsUsername));
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_ids(violations: &[Violation]) -> Vec<&'static str> {
        violations.iter().map(|v| v.rule.as_str()).collect()
    }

    #[test]
    fn username_valid() {
        let rules = RegistrationRules::default();
        assert!(rules.check_username("zhangsan01").is_empty());
        assert!(rules.check_username("li.si_2024=a-b/c").is_empty());
    }

    #[test]
    fn username_all_violations_at_once() {
        let rules = RegistrationRules::default();
        let ids = rule_ids(&rules.check_username("1a b"));
        assert!(ids.contains(&"username.too_short"), "{ids:?}");
        assert!(ids.contains(&"username.starts_with_digit"), "{ids:?}");
        assert!(ids.contains(&"username.invalid_characters"), "{ids:?}");
    }

    #[test]
    fn username_too_long() {
        let rules = RegistrationRules::default();
        let name = "a".repeat(33);
        assert_eq!(rule_ids(&rules.check_username(&name)), ["username.too_long"]);
        assert!(rules.check_username(&"a".repeat(32)).is_empty());
    }

    #[test]
    fn username_length_counts_characters() {
        let rules = RegistrationRules::default();
        let ids = rule_ids(&rules.check_username("张三"));
        assert!(ids.contains(&"username.too_short"), "{ids:?}");
        assert!(ids.contains(&"username.must_start_with_letter"), "{ids:?}");
        assert!(ids.contains(&"username.invalid_characters"), "{ids:?}");
    }

    #[test]
    fn username_reserved() {
        let mut rules = RegistrationRules::default();
        rules.username.reserved.push("helpdesk01".into());
        assert_eq!(rule_ids(&rules.check_username("helpdesk01")), ["username.reserved"]);
        assert!(rule_ids(&rules.check_username("administrator")).contains(&"username.reserved"));
    }

    #[test]
    fn username_invalid_characters_named() {
        let rules = RegistrationRules::default();
        let violations = rules.check_username("zhang@san#01");
        let v = violations.iter().find(|v| v.rule == RuleId::UsernameInvalidCharacters);
        assert_eq!(v.and_then(|v| v.detail.as_deref()), Some("@ #"));
    }

    #[test]
    fn username_rules_configurable() {
        let mut rules = RegistrationRules::default();
        rules.username.min_length = 3;
        rules.username.must_start_with_letter = false;
        assert!(rules.check_username("1ab").is_empty());
    }

    #[test]
    fn password_valid() {
        let rules = RegistrationRules::default();
        assert!(rules.check_password("Correct-Horse-42x", "zhangsan01").is_empty());
    }

    #[test]
    fn password_all_violations_at_once() {
        let rules = RegistrationRules::default();
        let ids = rule_ids(&rules.check_password("123456", "zhangsan01"));
        assert!(ids.contains(&"password.too_short"), "{ids:?}");
        assert!(ids.contains(&"password.all_digits"), "{ids:?}");
        assert!(ids.contains(&"password.too_common"), "{ids:?}");
    }

    #[test]
    fn password_too_long() {
        let rules = RegistrationRules::default();
        let ids = rule_ids(&rules.check_password(&"x1".repeat(65), "zhangsan01"));
        assert_eq!(ids, ["password.too_long"]);
    }

    #[test]
    fn password_common_case_insensitive() {
        let rules = RegistrationRules::default();
        assert!(rule_ids(&rules.check_password("PassWord123", "zhangsan01")).contains(&"password.too_common"));
    }

    #[test]
    fn password_contains_username() {
        let rules = RegistrationRules::default();
        let ids = rule_ids(&rules.check_password("xxZhangSan01yy", "zhangsan01"));
        assert_eq!(ids, ["password.contains_username"]);
    }

    #[test]
    fn messages_localized() {
        let rules = RegistrationRules::default();
        let violations = rules.check_username("abc");
        let v = &violations[0];
        assert_eq!(v.rule, RuleId::UsernameTooShort);
        assert!(v.message(Lang::En).contains("at least 7"));
        assert!(v.message(Lang::ZhCn).contains("至少需要 7"));
    }

    #[test]
    fn rule_ids_serialize_stably() {
        let json = serde_json::to_string(&RuleId::PasswordAllDigits).unwrap_or_default();
        assert_eq!(json, "\"password.all_digits\"");
    }
}
