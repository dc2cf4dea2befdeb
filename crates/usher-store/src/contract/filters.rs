//! Sync filters.

use std::sync::Arc;

use serde_json::json;

use crate::contract::fixtures::*;
use crate::Store;

pub async fn filter_round_trip(store: Arc<dyn Store>) {
    let filter = json!({ "room": { "timeline": { "limit": 20 } }, "presence": { "not_types": ["*"] } });

    let filter_id = store.create_filter(&user_id("alice01"), &filter).await.expect("create filter");

    assert!(!filter_id.is_empty());
    assert_eq!(store.filter(&user_id("alice01"), &filter_id).await.expect("read filter"), Some(filter));
    assert_eq!(store.filter(&user_id("alice01"), "no-such-filter").await.expect("read filter"), None);
}

pub async fn filter_other_user_hidden(store: Arc<dyn Store>) {
    let filter_id = store.create_filter(&user_id("alice01"), &json!({})).await.expect("create filter");

    assert_eq!(store.filter(&user_id("bob0001"), &filter_id).await.expect("read filter"), None);
}

pub async fn filter_ids_distinct(store: Arc<dyn Store>) {
    let alice = user_id("alice01");
    let first = store.create_filter(&alice, &json!({ "n": 1 })).await.expect("create filter");
    let second = store.create_filter(&alice, &json!({ "n": 2 })).await.expect("create filter");
    let bobs = store.create_filter(&user_id("bob0001"), &json!({ "n": 3 })).await.expect("create filter");

    assert_ne!(first, second);
    assert_eq!(store.filter(&alice, &first).await.expect("read filter"), Some(json!({ "n": 1 })));
    assert_eq!(store.filter(&alice, &second).await.expect("read filter"), Some(json!({ "n": 2 })));
    assert_eq!(store.filter(&user_id("bob0001"), &bobs).await.expect("read filter"), Some(json!({ "n": 3 })));
}
