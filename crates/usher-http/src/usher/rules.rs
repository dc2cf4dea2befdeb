use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use usher_core::rules::{RuleId, Violation, USERNAME_SYMBOLS};

use crate::extract::RequestLang;
use crate::AppState;

/// Every rule id, in the order clients should show them.
const ALL_RULES: &[RuleId] = &[
    RuleId::UsernameTooShort,
    RuleId::UsernameTooLong,
    RuleId::UsernameStartsWithDigit,
    RuleId::UsernameMustStartWithLetter,
    RuleId::UsernameInvalidCharacters,
    RuleId::UsernameReserved,
    RuleId::UsernameTaken,
    RuleId::PasswordTooShort,
    RuleId::PasswordTooLong,
    RuleId::PasswordAllDigits,
    RuleId::PasswordTooCommon,
    RuleId::PasswordContainsUsername,
];

/// `GET /_usher/v1/registration/rules`: the active rules, with a message
/// per rule in the request's language, so clients validate as people type.
pub async fn rules(State(state): State<AppState>, RequestLang(lang): RequestLang) -> Json<Value> {
    let rules = &state.services.settings().rules;
    let detail = |rule: RuleId| -> Option<String> {
        match rule {
            RuleId::UsernameTooShort => Some(rules.username.min_length.to_string()),
            RuleId::UsernameTooLong => Some(rules.username.max_length.to_string()),
            RuleId::PasswordTooShort => Some(rules.password.min_length.to_string()),
            RuleId::PasswordTooLong => Some(rules.password.max_length.to_string()),
            RuleId::UsernameInvalidCharacters => Some("…".into()),
            RuleId::UsernameReserved | RuleId::UsernameTaken => Some("…".into()),
            _ => None,
        }
    };
    let active = |rule: RuleId| -> bool {
        match rule {
            RuleId::UsernameStartsWithDigit | RuleId::UsernameMustStartWithLetter => {
                rules.username.must_start_with_letter
            }
            RuleId::PasswordAllDigits => rules.password.reject_all_digits,
            RuleId::PasswordTooCommon => rules.password.reject_common,
            RuleId::PasswordContainsUsername => rules.password.reject_containing_username,
            _ => true,
        }
    };
    let list: Vec<Value> = ALL_RULES
        .iter()
        .filter(|rule| active(**rule))
        .map(|rule| {
            let violation = Violation { rule: *rule, field: rule.field(), detail: detail(*rule) };
            json!({ "id": rule.as_str(), "field": rule.field(), "message": violation.message(lang) })
        })
        .collect();
    Json(json!({
        "username": {
            "normalization": "NFKC, then lowercase",
            "min_length": rules.username.min_length,
            "max_length": rules.username.max_length,
            "must_start_with_letter": rules.username.must_start_with_letter,
            "allowed_characters": format!("a-z 0-9 {}", USERNAME_SYMBOLS.chars().map(String::from).collect::<Vec<_>>().join(" ")),
            "reserved": rules.username.reserved,
        },
        "password": {
            "min_length": rules.password.min_length,
            "max_length": rules.password.max_length,
            "reject_all_digits": rules.password.reject_all_digits,
            "reject_common": rules.password.reject_common,
            "reject_containing_username": rules.password.reject_containing_username,
        },
        "rules": list,
        "lang": lang.tag(),
    }))
}
