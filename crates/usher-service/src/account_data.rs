//! Global and per-room account data.

use serde_json::Value;
use usher_core::{Error, Message};
use usher_store::{AccountDataUpdate, WriteBatch};

use crate::store_error::db;
use crate::{Caller, Services};

impl Services {
    fn require_self(caller: &Caller, user_id: &str) -> Result<(), Error> {
        if caller.user_id != user_id {
            return Err(Error::forbidden(Message::Other {
                en: "You may only access your own account data.".into(),
                zh: "只能访问自己的账号数据。".into(),
            }));
        }
        Ok(())
    }

    pub async fn account_data(
        &self,
        caller: &Caller,
        user_id: &str,
        room_id: Option<&str>,
        data_type: &str,
    ) -> Result<Value, Error> {
        Self::require_self(caller, user_id)?;
        self.store().account_data(user_id, room_id, data_type).await.map_err(db)?.ok_or_else(|| {
            Error::not_found(Message::Other {
                en: format!("No account data of type {data_type}."),
                zh: format!("没有类型为 {data_type} 的账号数据。"),
            })
        })
    }

    pub async fn set_account_data(
        &self,
        caller: &Caller,
        user_id: &str,
        room_id: Option<&str>,
        data_type: &str,
        content: Value,
    ) -> Result<(), Error> {
        Self::require_self(caller, user_id)?;
        if !content.is_object() {
            return Err(Error::bad_json("account data content must be a JSON object"));
        }
        if let Some(room_id) = room_id {
            self.resolve_room(room_id).await?;
        }
        let batch = WriteBatch {
            account_data: vec![AccountDataUpdate {
                user_id: user_id.to_owned(),
                room_id: room_id.map(str::to_owned),
                data_type: data_type.to_owned(),
                content,
            }],
            ..WriteBatch::default()
        };
        let committed = self.store().commit(batch).await.map_err(db)?;
        self.committed(&committed, &[user_id]);
        Ok(())
    }
}
