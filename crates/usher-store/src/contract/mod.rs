//! Backend contract suite: what every [`Store`](crate::Store) backend must do.
//!
//! Each case is a `pub async fn` that takes a fresh, empty store as
//! `Arc<dyn Store>` and panics on a broken promise, so the same cases run on
//! every backend. A backend's test crate runs all of them with
//! [`contract_tests!`](crate::contract_tests), giving it an expression that
//! evaluates to a `Future<Output = Fixture>`. That crate needs `tokio` with
//! the `macros` and `rt-multi-thread` features.
//!
//! ```text
//! async fn fresh_store() -> usher_store::contract::Fixture { /* ... */ }
//! usher_store::contract_tests!(fresh_store());
//! ```

pub mod account_data;
pub mod accounts;
pub mod concurrency;
pub mod events;
pub mod filters;
pub mod fixtures;
pub mod sessions;
pub mod sponsorship;
pub mod story;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::Store;

/// A fresh, empty store for one case, and the work that disposes of it.
pub struct Fixture {
    pub store: Arc<dyn Store>,
    /// Closes the store and deletes its data after the case passes.
    /// When the case panics the future is dropped unpolled, so whatever it
    /// owns (a temporary directory, say) must clean up on drop too.
    pub teardown: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl std::fmt::Debug for Fixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fixture").field("store", &self.store).finish_non_exhaustive()
    }
}

/// Expands to one `#[tokio::test]` per contract case, grouped in modules by
/// area. `$factory` is evaluated once per test and must yield a future of a
/// [`Fixture`] holding a fresh, empty store.
#[macro_export]
macro_rules! contract_tests {
    ($factory:expr) => {
        $crate::contract_tests!(@areas $factory;
            accounts {
                create_user_round_trip,
                create_user_duplicate_localpart,
                create_user_duplicate_user_id,
                activate_pending_user,
                activation_race_second_fails,
                activate_wrong_hash_writes_nothing,
                activate_active_user_fails,
                set_password_keeps_sessions,
                set_password_ends_other_sessions,
                set_password_ends_all_sessions,
                set_password_unknown_user,
                profile_update_sets_display_name,
            }
            sessions {
                session_joined_with_user,
                session_unknown_token,
                sessions_of_user_lists_all,
                delete_session_reports_existence,
                delete_sessions_of_user_counts,
                create_session_duplicate_token,
                create_session_unknown_user,
            }
            sponsorship {
                register_writes_everything,
                register_replays_idempotency_key,
                expired_idempotency_key_replaced,
                register_duplicate_username_rolls_back,
                register_over_quota_rolls_back,
                register_bad_writes_roll_back,
                daily_and_total_quota,
                quota_usage_counts_by_day,
                sponsored_accounts_pages,
                sponsored_accounts_joined_rooms,
                sponsor_link_absent,
                sponsor_grant_lifecycle,
                audit_records_newest_first,
            }
            concurrency {
                parallel_registrations_respect_quota,
                parallel_same_idempotency_key,
                parallel_commits_unique_streams,
                parallel_messages_each_get_their_result,
                parallel_activations_one_wins,
            }
            events {
                empty_store_position_zero,
                empty_batch_returns_position,
                commit_streams_increase,
                commit_room_and_alias,
                duplicate_alias_commits_nothing,
                duplicate_event_id_commits_nothing,
                state_event_prev_content,
                state_event_is_current,
                state_at_older_position,
                room_events_directions,
                room_events_other_room_excluded,
                txn_id_conflict,
                event_by_txn_lookup,
                memberships_follow_member_events,
                event_unknown_room,
                room_access_reads_levels_and_membership,
            }
            account_data {
                global_and_room_data,
                account_data_since_position,
                account_data_update_restreams,
                streams_shared_with_events,
            }
            filters {
                filter_round_trip,
                filter_other_user_hidden,
                filter_ids_distinct,
            }
            story {
                sponsored_group_story,
            }
        );
    };
    (@areas $factory:expr; $( $area:ident { $( $case:ident ),* $(,)? } )*) => {
        $(
            mod $area {
                #[allow(unused_imports, reason = "brings the factory's names into scope")]
                use super::*;

                $(
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $case() {
                        let fixture: $crate::contract::Fixture = $factory.await;
                        $crate::contract::$area::$case(::std::sync::Arc::clone(&fixture.store)).await;
                        drop(fixture.store);
                        fixture.teardown.await;
                    }
                )*
            }
        )*
    };
}
