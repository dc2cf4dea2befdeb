//! The one place where SQLite and sqlx errors become [`StoreError`]s.

use sqlx::error::ErrorKind;

use crate::{StoreError, StoreResult};

/// Primary SQLite result codes after which a retry may succeed.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_IOERR: i32 = 10;
const SQLITE_FULL: i32 = 13;
const SQLITE_CANTOPEN: i32 = 14;

/// Unique constraints of the schema, as SQLite names them in its message,
/// and the field a [`StoreError::Conflict`] reports for each.
const CONFLICT_FIELDS: &[(&str, &str)] = &[
    ("users.user_id", "username"),
    ("users.localpart", "username"),
    ("room_aliases.alias", "alias"),
    ("events.txn_id", "txn_id"),
    ("events.event_id", "event_id"),
    ("events.stream", "stream"),
    ("rooms.room_id", "room_id"),
    ("sessions.token_hash", "token_hash"),
    ("sponsor_links.user_id", "username"),
    ("idempotency_keys.key", "idempotency_key"),
    ("filters.filter_id", "filter_id"),
];

pub(super) trait DbResultExt<T> {
    /// Maps a failed database call to a [`StoreError`], naming the operation.
    fn db_context(self, operation: &'static str) -> StoreResult<T>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn db_context(self, operation: &'static str) -> StoreResult<T> {
        self.map_err(|error| map_error(error, operation))
    }
}

/// Maps unique violations to `Conflict`, foreign key violations to
/// `NotFound` (a write referred to a user or room that does not exist),
/// busy, locked, I/O and pool failures to `Unavailable`, and the rest to
/// `Other`.
fn map_error(error: sqlx::Error, operation: &'static str) -> StoreError {
    let transient = match &error {
        sqlx::Error::Database(database_error) => {
            match database_error.kind() {
                ErrorKind::UniqueViolation => {
                    if let Some(field) = conflict_field(database_error.message()) {
                        return StoreError::Conflict { field };
                    }
                }
                ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
                _ => {}
            }
            let primary_code = database_error.code().and_then(|code| code.parse::<i32>().ok()).map(|code| code & 0xff);
            matches!(primary_code, Some(SQLITE_BUSY | SQLITE_LOCKED | SQLITE_IOERR | SQLITE_FULL | SQLITE_CANTOPEN))
        }
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        _ => false,
    };

    let error = anyhow::Error::new(error).context(format!("SQLite: failed to {operation}"));
    if transient {
        StoreError::Unavailable(error)
    } else {
        StoreError::Other(error)
    }
}

/// Finds the field of a message such as
/// `UNIQUE constraint failed: events.sender, events.txn_device_id, events.txn_id`.
fn conflict_field(message: &str) -> Option<&'static str> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    columns
        .split(", ")
        .find_map(|column| CONFLICT_FIELDS.iter().find(|(name, _)| *name == column).map(|(_, field)| *field))
}

#[cfg(test)]
mod tests {
    use super::conflict_field;

    #[test]
    fn conflict_field_single_column() {
        assert_eq!(conflict_field("UNIQUE constraint failed: users.localpart"), Some("username"));
        assert_eq!(conflict_field("UNIQUE constraint failed: room_aliases.alias"), Some("alias"));
    }

    #[test]
    fn conflict_field_composite_index() {
        let message = "UNIQUE constraint failed: events.sender, events.txn_device_id, events.txn_id";
        assert_eq!(conflict_field(message), Some("txn_id"));
    }

    #[test]
    fn conflict_field_unknown() {
        assert_eq!(conflict_field("UNIQUE constraint failed: other.column"), None);
        assert_eq!(conflict_field("NOT NULL constraint failed: users.state"), None);
    }
}
