//! The one place where storage errors become service errors.

use usher_core::{Error, ErrorCode, Message};
use usher_store::StoreError;

impl From<StoreErrorWrapper> for Error {
    fn from(wrapper: StoreErrorWrapper) -> Self {
        match wrapper.0 {
            StoreError::NotFound => Error::not_found(Message::Other {
                en: "The requested item was not found.".into(),
                zh: "未找到请求的内容。".into(),
            }),
            StoreError::Conflict { field } => Error::new(
                ErrorCode::InvalidParam,
                Message::Other {
                    en: format!("The value of \"{field}\" is already in use; choose another one."),
                    zh: format!("“{field}”的值已被使用，请换一个。"),
                },
            ),
            StoreError::QuotaExceeded(exceeded) => {
                let error = Error::quota(exceeded);
                match exceeded.resets_at {
                    Some(resets_at) => {
                        let mut extra = error.extra.clone().unwrap_or_default();
                        extra["retry_after_ms"] = serde_json::json!((resets_at - crate::now_ms()).max(0));
                        error.with_extra(extra)
                    }
                    None => error,
                }
            }
            StoreError::Unavailable(cause) => {
                tracing::error!(error = format!("{cause:#}"), "storage unavailable");
                Error::new(
                    ErrorCode::Unavailable,
                    Message::Other {
                        en: "The server's storage is temporarily unavailable. Try again shortly.".into(),
                        zh: "服务器存储暂时不可用，请稍后重试。".into(),
                    },
                )
            }
            StoreError::Other(cause) => {
                tracing::error!(error = format!("{cause:#}"), "storage error");
                Error::internal()
            }
        }
    }
}

/// Wraps a [`StoreError`] so `?` converts it into a service [`Error`]; the
/// orphan rule forbids `From<StoreError> for Error` here.
pub(crate) struct StoreErrorWrapper(pub StoreError);

/// Converts store results into service results with `.map_err(db)?`.
pub(crate) fn db(error: StoreError) -> Error {
    Error::from(StoreErrorWrapper(error))
}
