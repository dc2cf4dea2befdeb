//! `/register` when the operator turns open registration on.
//!
//! The account goes through the same normalization and rules as a sponsored
//! one, is active at once (its owner chose the password) and has no sponsor.

use serde::Deserialize;
use serde_json::{json, Value};
use usher_core::rules::{RuleId, Violation};
use usher_core::username::normalize;
use usher_core::{generate, Error, Message};
use usher_store::{AccountState, AuditRecord, StoreError, UserRecord};

use crate::credentials::{hash_password, random_token};
use crate::store_error::db;
use crate::{ids, now_ms, LoginResponse, Services};

/// The `POST /register` body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OpenRegistrationRequest {
    pub username: Option<String>,
    pub password: Option<String>,
    pub auth: Option<Value>,
    pub device_id: Option<String>,
    pub initial_device_display_name: Option<String>,
    pub inhibit_login: bool,
}

/// The outcome of `/register`.
#[derive(Debug)]
pub enum OpenRegistration {
    /// The 401 body asking for the `m.login.dummy` stage.
    AuthRequired(Value),
    /// Created; the login is absent when `inhibit_login` was set.
    Created { user_id: String, login: Option<LoginResponse> },
}

impl Services {
    pub async fn register_open(&self, request: OpenRegistrationRequest) -> Result<OpenRegistration, Error> {
        if !self.settings().open_registration {
            return Err(Error::forbidden(Message::RegistrationClosed));
        }
        let dummy_done =
            request.auth.as_ref().and_then(|a| a.get("type")).and_then(Value::as_str) == Some("m.login.dummy");
        if !dummy_done {
            return Ok(OpenRegistration::AuthRequired(json!({
                "flows": [{ "stages": ["m.login.dummy"] }],
                "params": {},
                "session": random_token(),
            })));
        }

        let rules = &self.settings().rules;
        let password = request.password.ok_or_else(|| Error::missing_param("password"))?;
        let localpart = match &request.username {
            Some(name) => normalize(name),
            None => generate::username(&mut rand::rngs::OsRng, rules),
        };
        self.check_new_account(&localpart, Some(&password)).await?;

        let user_id = ids::user_id(&localpart, &self.settings().server_name)?.to_string();
        let now = now_ms();
        let user = UserRecord {
            user_id: user_id.clone(),
            localpart: localpart.clone(),
            display_name: Some(localpart.clone()),
            password_hash: hash_password(password).await?,
            is_admin: false,
            state: AccountState::Active,
            created_at: now,
        };
        let audit = AuditRecord {
            actor: None,
            action: "user.register_open".into(),
            target: Some(user_id.clone()),
            details: json!({}),
            created_at: now,
        };
        match self.store().create_user(user, audit).await {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(Error::registration(vec![Violation::with_detail(RuleId::UsernameTaken, localpart)]))
            }
            Err(e) => return Err(db(e)),
        }
        tracing::info!(account.id = %user_id, "account registered without sponsor");
        let login = if request.inhibit_login {
            None
        } else {
            Some(self.open_session(&user_id, request.device_id, request.initial_device_display_name).await?)
        };
        Ok(OpenRegistration::Created { user_id, login })
    }
}
