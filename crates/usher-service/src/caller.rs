use usher_store::AccountState;

/// The authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub device_id: String,
    /// Hash of the access token used, to end or keep this session.
    pub token_hash: String,
    pub is_admin: bool,
    pub state: AccountState,
}
