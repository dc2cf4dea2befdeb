//! The domain error: a stable Matrix `errcode`, a localizable message and,
//! for registration, the list of broken rules.
//!
//! Services return [`Error`] for everything a caller can act on. Unexpected
//! failures (a database that is down, a bug) are `ErrorCode::Unknown` with
//! [`Message::Internal`]; the HTTP layer logs their cause once and shows the
//! generic message. `thiserror` is used because callers branch on the code.

use serde_json::Value;

use crate::quota::{QuotaExceeded, QuotaPeriod};
use crate::rules::Violation;
use crate::Lang;

/// Matrix and Usher error codes. The string forms are stable API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Forbidden,
    UnknownToken,
    MissingToken,
    BadJson,
    NotJson,
    NotFound,
    LimitExceeded,
    Unrecognized,
    Unknown,
    UserInUse,
    InvalidUsername,
    WeakPassword,
    InvalidParam,
    MissingParam,
    RoomInUse,
    TooLarge,
    UserDeactivated,
    /// An `Idempotency-Key` reused with another request body.
    IdempotencyKeyReused,
    /// A dependency such as the database is down; sent as `M_UNKNOWN` with 503.
    Unavailable,
    UnsupportedRoomVersion,
}

impl ErrorCode {
    /// Returns the `errcode` string sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Forbidden => "M_FORBIDDEN",
            ErrorCode::UnknownToken => "M_UNKNOWN_TOKEN",
            ErrorCode::MissingToken => "M_MISSING_TOKEN",
            ErrorCode::BadJson => "M_BAD_JSON",
            ErrorCode::NotJson => "M_NOT_JSON",
            ErrorCode::NotFound => "M_NOT_FOUND",
            ErrorCode::LimitExceeded => "M_LIMIT_EXCEEDED",
            ErrorCode::Unrecognized => "M_UNRECOGNIZED",
            ErrorCode::Unknown => "M_UNKNOWN",
            ErrorCode::UserInUse => "M_USER_IN_USE",
            ErrorCode::InvalidUsername => "M_INVALID_USERNAME",
            ErrorCode::WeakPassword => "M_WEAK_PASSWORD",
            ErrorCode::InvalidParam => "M_INVALID_PARAM",
            ErrorCode::MissingParam => "M_MISSING_PARAM",
            ErrorCode::RoomInUse => "M_ROOM_IN_USE",
            ErrorCode::TooLarge => "M_TOO_LARGE",
            ErrorCode::UserDeactivated => "M_USER_DEACTIVATED",
            ErrorCode::IdempotencyKeyReused => "IO.USHER.IDEMPOTENCY_KEY_REUSED",
            ErrorCode::Unavailable => "M_UNKNOWN",
            ErrorCode::UnsupportedRoomVersion => "M_UNSUPPORTED_ROOM_VERSION",
        }
    }
}

/// An invalid request parameter and why.
#[derive(Debug, Clone, PartialEq)]
pub struct InvalidParam {
    pub name: String,
    pub detail: String,
    /// The detail in Chinese; without it the English one is shown.
    pub detail_zh: Option<String>,
}

/// A user-facing message, rendered in the caller's language.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Internal,
    MissingToken,
    MalformedAuthorization,
    UnknownToken,
    LoginFailed,
    AccountPending,
    AccountAlreadyActive,
    RegistrationClosed,
    UnsupportedLoginType {
        login_type: String,
    },
    NotJson,
    BadJson {
        detail: String,
    },
    MissingParam {
        name: String,
    },
    /// Boxed, so every `Error` stays small.
    InvalidParam(Box<InvalidParam>),
    Unrecognized,
    MethodNotAllowed,
    NotAdmin,
    PendingCannotSponsor,
    NotASponsor,
    GroupNotAllowed {
        group: String,
    },
    GroupNotFound {
        group: String,
    },
    QuotaExceeded(QuotaExceeded),
    RegistrationInvalid,
    PasswordInvalid,
    UserNotFound {
        user_id: String,
    },
    SponsorLinkHidden,
    RoomNotFound {
        room: String,
    },
    EventNotFound,
    NotInRoom {
        room: String,
    },
    PowerTooLow {
        action: String,
    },
    CannotJoin {
        room: String,
    },
    AliasInUse {
        alias: String,
    },
    FilterNotFound,
    IdempotencyKeyReused,
    RateLimited,
    AccountLocked {
        minutes: u64,
    },
    Other {
        en: String,
        zh: String,
    },
}

impl Message {
    /// Renders the message.
    pub fn text(&self, lang: Lang) -> String {
        use Message::*;
        match self {
            Internal => lang.pick(
                "The server hit an internal error. Try again later; if it persists, tell the server operator.",
                "服务器内部错误。请稍后重试；如果一直出现，请联系服务器管理员。",
            ),
            MissingToken => lang.pick(
                "No access token was sent. Log in and send the token in the Authorization header.",
                "请求缺少访问令牌。请先登录，并在 Authorization 请求头中携带令牌。",
            ),
            MalformedAuthorization => lang.pick(
                "The Authorization header is not \"Bearer \" followed by an access token. Send it as: Authorization: Bearer <access token>, using the token from /login.",
                "Authorization 请求头格式不对：应为“Bearer ”后接访问令牌，即 Authorization: Bearer <访问令牌>，令牌来自 /login。",
            ),
            UnknownToken => lang.pick(
                "The access token is invalid or has expired. Log in again.",
                "访问令牌无效或已过期，请重新登录。",
            ),
            LoginFailed => lang.pick(
                "Invalid account name or password.",
                "账号名或密码错误。",
            ),
            AccountPending => lang.pick(
                "This account has not been activated yet. Choose your own password first: send POST /_usher/v1/activate to this server with your account name, the initial password you were given and a new password (JSON fields username, initial_password, new_password), then log in with the new password.",
                "该账号尚未激活。请先设置您自己的密码：向本服务器发送 POST /_usher/v1/activate，提供账号名、收到的初始密码和新密码（JSON 字段 username、initial_password、new_password），然后用新密码登录。",
            ),
            AccountAlreadyActive => lang.pick(
                "This account is already activated. Log in with your password.",
                "该账号已激活，请直接用您的密码登录。",
            ),
            RegistrationClosed => lang.pick(
                "Open registration is disabled on this server. Ask a group admin or the server operator to register an account for you.",
                "本服务器未开放自助注册。请联系群管理员或服务器管理员为您注册账号。",
            ),
            UnsupportedLoginType { login_type } => lang.pick(
                format!("The login type \"{login_type}\" is not supported; use m.login.password."),
                format!("不支持登录方式“{login_type}”；请使用 m.login.password。"),
            ),
            NotJson => lang.pick(
                "The request body is not valid JSON. Send a JSON object with Content-Type: application/json.",
                "请求体不是有效的 JSON。请发送 JSON 对象，并设置 Content-Type: application/json。",
            ),
            BadJson { detail } => lang.pick(
                format!("The request JSON is invalid: {detail}"),
                format!("请求 JSON 无效：{}", crate::serde_zh::translate(detail)),
            ),
            MissingParam { name } => lang.pick(
                format!("The parameter \"{name}\" is missing; add it to the request."),
                format!("缺少参数“{name}”，请在请求中提供。"),
            ),
            InvalidParam(param) => lang.pick(
                format!("The parameter \"{}\" is invalid: {}", param.name, param.detail),
                format!("参数“{}”无效：{}", param.name, param.detail_zh.as_deref().unwrap_or(&param.detail)),
            ),
            Unrecognized => lang.pick(
                "Unrecognized request: this server does not serve that endpoint.",
                "无法识别的请求：本服务器不提供该接口。",
            ),
            MethodNotAllowed => lang.pick(
                "This endpoint does not accept that HTTP method.",
                "该接口不支持此 HTTP 方法。",
            ),
            NotAdmin => lang.pick(
                "Only server admins may do this.",
                "只有服务器管理员可以执行此操作。",
            ),
            PendingCannotSponsor => lang.pick(
                "Your account is not activated yet, so it cannot register accounts for others. Activate it by choosing your own password first.",
                "您的账号尚未激活，不能为他人注册账号。请先设置您自己的密码完成激活。",
            ),
            NotASponsor => lang.pick(
                "You may not register accounts: only server admins, users granted sponsorship by an admin, and group admins registering into groups they administer may do so.",
                "您无权注册账号：只有服务器管理员、获管理员授权的引荐人，以及在自己管理的群内注册的群管理员可以这样做。",
            ),
            GroupNotAllowed { group } => lang.pick(
                format!("You may not add members to the group {group}: you need to be its admin. Remove it from \"groups\" or ask its admin."),
                format!("您不能向群 {group} 添加成员：需要是该群的管理员。请从 groups 中移除它，或联系该群管理员。"),
            ),
            GroupNotFound { group } => lang.pick(
                format!("The group {group} does not exist. Check the room id or alias."),
                format!("群 {group} 不存在，请检查群 ID 或别名。"),
            ),
            QuotaExceeded(q) => match q.period {
                QuotaPeriod::Daily => lang.pick(
                    format!("Daily registration quota reached: {} of {} accounts today. Try again tomorrow (UTC) or ask a server admin for a larger quota.", q.used, q.limit),
                    format!("已达到每日注册配额：今天已注册 {} / {} 个账号。请明天（UTC）再试，或请服务器管理员提高配额。", q.used, q.limit),
                ),
                QuotaPeriod::Total => lang.pick(
                    format!("Total registration quota reached: {} of {} accounts. Ask a server admin for a larger quota.", q.used, q.limit),
                    format!("已达到注册总配额：已注册 {} / {} 个账号。请联系服务器管理员提高配额。", q.used, q.limit),
                ),
            },
            RegistrationInvalid => lang.pick(
                "The registration breaks one or more rules; see \"violations\".",
                "注册信息不符合规则，详见 violations。",
            ),
            PasswordInvalid => lang.pick(
                "The new password breaks one or more rules; see \"violations\".",
                "新密码不符合规则，详见 violations。",
            ),
            UserNotFound { user_id } => lang.pick(
                format!("The user {user_id} does not exist."),
                format!("用户 {user_id} 不存在。"),
            ),
            SponsorLinkHidden => lang.pick(
                "Only the user, their sponsor and server admins may see who registered this account.",
                "只有该用户本人、其引荐人和服务器管理员可以查看该账号由谁注册。",
            ),
            RoomNotFound { room } => lang.pick(
                format!("The room {room} does not exist or you are not in it."),
                format!("房间 {room} 不存在，或您不在其中。"),
            ),
            EventNotFound => lang.pick("The event was not found.", "未找到该事件。"),
            NotInRoom { room } => lang.pick(
                format!("You are not a member of the room {room}. Join it first."),
                format!("您不是房间 {room} 的成员，请先加入。"),
            ),
            PowerTooLow { action } => lang.pick(
                format!("Your power level in this room is too low to {action}."),
                format!("您在该房间的权限等级不足，无法执行：{action}。"),
            ),
            CannotJoin { room } => lang.pick(
                format!("You may not join the room {room}: it is invite-only and you have no invite."),
                format!("您不能加入房间 {room}：该房间仅限邀请加入，而您没有收到邀请。"),
            ),
            AliasInUse { alias } => lang.pick(
                format!("The room alias {alias} is already in use; choose another one."),
                format!("房间别名 {alias} 已被使用，请换一个。"),
            ),
            FilterNotFound => lang.pick("The filter was not found.", "未找到该过滤器。"),
            IdempotencyKeyReused => lang.pick(
                "This Idempotency-Key was already used with a different request body. Use a new key for a new request.",
                "该 Idempotency-Key 已用于另一个不同的请求。新请求请使用新的键。",
            ),
            RateLimited => lang.pick(
                "Too many requests. Wait a moment and try again.",
                "请求过于频繁，请稍后再试。",
            ),
            AccountLocked { minutes } => lang.pick(
                format!("Too many wrong passwords for this account: login and activation are locked for {minutes} more minute(s). Wait, then try again with the right password."),
                format!("该账号密码错误次数过多：登录和激活已锁定，还需等待 {minutes} 分钟。请稍后使用正确的密码重试。"),
            ),
            Other { en, zh } => lang.pick(en.clone(), zh.clone()),
        }
    }
}

/// A failure a caller can act on.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code:?}: {}", message.text(Lang::En))]
pub struct Error {
    pub code: ErrorCode,
    pub message: Message,
    /// Registration rules broken by the request, all of them.
    pub violations: Vec<Violation>,
    /// Extra top-level fields for the error body (`retry_after_ms`, quota, ...).
    pub extra: Option<Value>,
}

impl Error {
    pub fn new(code: ErrorCode, message: Message) -> Self {
        Error { code, message, violations: Vec::new(), extra: None }
    }

    pub fn with_extra(mut self, extra: Value) -> Self {
        self.extra = Some(extra);
        self
    }

    pub fn forbidden(message: Message) -> Self {
        Error::new(ErrorCode::Forbidden, message)
    }

    pub fn not_found(message: Message) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }

    pub fn internal() -> Self {
        Error::new(ErrorCode::Unknown, Message::Internal)
    }

    pub fn bad_json(detail: impl Into<String>) -> Self {
        Error::new(ErrorCode::BadJson, Message::BadJson { detail: detail.into() })
    }

    /// Builds an invalid-parameter error whose detail exists in English only, such as a
    /// parser's message.
    pub fn invalid_param(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::new(
            ErrorCode::InvalidParam,
            Message::InvalidParam(Box::new(InvalidParam { name: name.into(), detail: detail.into(), detail_zh: None })),
        )
    }

    /// Builds an invalid-parameter error with its detail in both languages.
    pub fn invalid_param_in(name: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> Self {
        let message = Message::InvalidParam(Box::new(InvalidParam {
            name: name.into(),
            detail: en.into(),
            detail_zh: Some(zh.into()),
        }));
        Error::new(ErrorCode::InvalidParam, message)
    }

    pub fn missing_param(name: impl Into<String>) -> Self {
        Error::new(ErrorCode::MissingParam, Message::MissingParam { name: name.into() })
    }

    /// Builds the error of a registration that broke rules. The errcode follows the first
    /// violation's kind, in the order taken name, invalid name, weak password.
    pub fn registration(violations: Vec<Violation>) -> Self {
        use crate::rules::{Field, RuleId};
        let code = if violations.iter().any(|v| v.rule == RuleId::UsernameTaken) {
            ErrorCode::UserInUse
        } else if violations.iter().any(|v| v.rule.field() == Field::Username) {
            ErrorCode::InvalidUsername
        } else {
            ErrorCode::WeakPassword
        };
        Error { code, message: Message::RegistrationInvalid, violations, extra: None }
    }

    /// Builds the error of a new password (activation, password change) that broke rules.
    pub fn password(violations: Vec<Violation>) -> Self {
        Error { code: ErrorCode::WeakPassword, message: Message::PasswordInvalid, violations, extra: None }
    }

    pub fn quota(exceeded: QuotaExceeded) -> Self {
        let extra = serde_json::json!({
            "quota": {
                "period": exceeded.period,
                "limit": exceeded.limit,
                "used": exceeded.used,
                "resets_at": exceeded.resets_at,
            }
        });
        Error::new(ErrorCode::LimitExceeded, Message::QuotaExceeded(exceeded)).with_extra(extra)
    }
}

/// The result type of services.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{RuleId, Violation};

    #[test]
    fn registration_errcode_prefers_taken() {
        let err = Error::registration(vec![
            Violation::new(RuleId::PasswordAllDigits),
            Violation::with_detail(RuleId::UsernameTaken, "zhangsan01"),
        ]);
        assert_eq!(err.code, ErrorCode::UserInUse);
    }

    #[test]
    fn registration_errcode_invalid_username() {
        let err = Error::registration(vec![
            Violation::new(RuleId::PasswordAllDigits),
            Violation::new(RuleId::UsernameStartsWithDigit),
        ]);
        assert_eq!(err.code, ErrorCode::InvalidUsername);
    }

    #[test]
    fn registration_errcode_weak_password() {
        let err = Error::registration(vec![Violation::new(RuleId::PasswordTooCommon)]);
        assert_eq!(err.code, ErrorCode::WeakPassword);
    }

    #[test]
    fn quota_message_names_limit() {
        let err = Error::quota(QuotaExceeded { period: QuotaPeriod::Daily, limit: 10, used: 10, resets_at: Some(1) });
        assert!(err.message.text(Lang::En).contains("10 of 10"));
        assert!(err.message.text(Lang::ZhCn).contains("10 / 10"));
        assert_eq!(err.extra.as_ref().and_then(|e| e["quota"]["limit"].as_u64()), Some(10));
    }
}
