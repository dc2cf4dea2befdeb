use usher_core::quota::QuotaExceeded;

/// Storage failures that callers branch on, plus a catch-all.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist, or a write refers to a user or room that
    /// does not exist.
    #[error("not found")]
    NotFound,

    /// A uniqueness constraint failed on the named field.
    #[error("conflict on {field}")]
    Conflict { field: &'static str },

    #[error("quota exceeded: {0:?}")]
    QuotaExceeded(QuotaExceeded),

    /// The database could not be reached or is overloaded; retrying may help.
    #[error("storage unavailable")]
    Unavailable(#[source] anyhow::Error),

    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;
