//! Account creation through either Usher's registration API or Synapse's admin API.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::{send_json, Session};
use crate::names::{random_password, NameGenerator};

/// The API that creates accounts on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RegistrationApi {
    /// Usher's sponsored registration: `POST /_usher/v1/registrations`, then `POST /_usher/v1/activate`.
    Usher,
    /// Synapse's admin API: `PUT /_synapse/admin/v2/users/@NAME:SERVER`, then a password login.
    SynapseAdmin,
}

/// Creates accounts as a logged-in admin (the sponsor on Usher).
#[derive(Debug, Clone)]
pub struct Registrar {
    api: RegistrationApi,
    admin: Session,
    server_name: String,
}

#[derive(Debug, Deserialize)]
struct UsherRegistration {
    initial_password: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UsherActivation {
    user_id: String,
    access_token: String,
}

impl Registrar {
    pub fn new(api: RegistrationApi, admin: Session) -> Result<Self> {
        let server_name = admin.server_name()?.to_owned();
        Ok(Self { api, admin, server_name })
    }

    /// Opens up to `connections` keep-alive connections in the admin's pool with concurrent
    /// unauthenticated requests, so that connection setup is not measured.
    pub async fn warm_up(&self, connections: usize) -> Result<()> {
        let mut requests = tokio::task::JoinSet::new();
        for _ in 0..connections {
            let target = self.admin.target.clone();
            requests.spawn(async move { target.versions().await });
        }
        while let Some(result) = requests.join_next().await {
            result.context("a warm-up request panicked")??;
        }
        Ok(())
    }

    /// Registers one account and returns its password: `password` when given,
    /// else the initial password that Usher generated (Synapse then creates an account without a password).
    pub async fn register(&self, username: &str, password: Option<&str>) -> Result<Option<String>> {
        self.register_into(username, password, &[]).await
    }

    /// Registers one account like [`Registrar::register`] and, on Usher, makes it a member of `groups` (room IDs).
    pub async fn register_into(
        &self,
        username: &str,
        password: Option<&str>,
        groups: &[String],
    ) -> Result<Option<String>> {
        match self.api {
            RegistrationApi::Usher => {
                let mut body = json!({"username": username});
                if let Some(password) = password {
                    body["password"] = json!(password);
                }
                if !groups.is_empty() {
                    body["groups"] = json!(groups);
                }
                let request = self.admin.request(Method::POST, &["_usher", "v1", "registrations"]).json(&body);
                let reply: UsherRegistration = send_json(request).await?;
                Ok(reply.initial_password.or(password.map(str::to_owned)))
            }
            RegistrationApi::SynapseAdmin => {
                if !groups.is_empty() {
                    bail!("joining rooms at registration needs --registration-api usher");
                }
                let user_id = format!("@{username}:{}", self.server_name);
                let body = match password {
                    Some(password) => json!({"password": password}),
                    None => json!({}),
                };
                let request =
                    self.admin.request(Method::PUT, &["_synapse", "admin", "v2", "users", &user_id]).json(&body);
                send_json::<Value>(request).await?;
                Ok(password.map(str::to_owned))
            }
        }
    }

    /// Returns the admin's session, which sponsors every account.
    pub fn admin(&self) -> &Session {
        &self.admin
    }

    /// Creates a fresh account that is a member of `groups` (Usher only), makes it usable
    /// (activation on Usher) and logs it in on its own connection pool.
    pub async fn create_user(&self, names: &NameGenerator, groups: &[String]) -> Result<Session> {
        let username = names.next_username();
        let password = random_password(&username);
        let registered_password = self
            .register_into(&username, Some(&password), groups)
            .await
            .with_context(|| format!("failed to register test user {username}"))?
            .unwrap_or(password);
        let target = self.admin.target.with_new_connection_pool()?;

        match self.api {
            RegistrationApi::Usher => {
                let body = json!({
                    "username": username,
                    "initial_password": registered_password,
                    "new_password": random_password(&username),
                });
                let request = target.request(Method::POST, &["_usher", "v1", "activate"], None).json(&body);
                let reply: UsherActivation =
                    send_json(request).await.with_context(|| format!("failed to activate test user {username}"))?;
                Ok(Session { target, user_id: reply.user_id, access_token: reply.access_token })
            }
            RegistrationApi::SynapseAdmin => target.login(&username, &registered_password).await,
        }
    }
}
