//! The checks every new account passes, whichever path creates it: sponsored
//! registration, `usher admin create` and open registration.

use usher_core::rules::{RuleId, Violation};
use usher_core::Error;

use crate::store_error::db;
use crate::Services;

impl Services {
    /// Checks a normalized account name and, when the caller chose one, its
    /// password against the rules, and whether the name is free. Reports
    /// every violation at once.
    pub(crate) async fn check_new_account(&self, localpart: &str, password: Option<&str>) -> Result<(), Error> {
        let rules = &self.settings().rules;
        let mut violations = rules.check_username(localpart);
        if let Some(password) = password {
            violations.extend(rules.check_password(password, localpart));
        }
        if self.store().user_by_localpart(localpart).await.map_err(db)?.is_some() {
            violations.push(Violation::with_detail(RuleId::UsernameTaken, localpart));
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(Error::registration(violations))
        }
    }
}
