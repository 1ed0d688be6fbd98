//! The store-port contract: one suite of cases that every [`Store`] + [`Outbox`] adapter passes
//! (the embedded store, DynamoDB against an emulator, …).
//!
//! Each case in [`cases`] is a `pub async fn(Arc<S>)` that takes a fresh store. Test data comes
//! from the real core (`lifecycle::submit` / `apply` with the built-in calendar and reference), so
//! every change set is one the use cases could commit.
//!
//! Run the suite from an adapter's test file, one `#[tokio::test]` per case (multi-thread, 4
//! workers, for the concurrency cases):
//!
//! ```text
//! kezek_contract::contract_tests!(|| async { std::sync::Arc::new(MyStore::new()) });
//! ```
//!
//! or all cases in one test with [`run_all`].
//!
//! # Sharing one table
//! Cases can run side by side against one table: each draws its own district codes, application
//! and kindergarten ids (UUID v4) and IINs (unique per process), and asserts only on what it owns.
//! `due` and `pending` are not per district, so:
//! - `due` is queried only by [`cases::due_returns_only_due_earliest_first`], which works in
//!   February 2025 – January 2026; every other case lives on or after 6 April 2026, so none of its
//!   deadlines or reminders fall in that window. The table must start empty of older data.
//! - `pending` is filtered to the case's own notification ids.
//! - [`correction::calendar_correction_moves_deadlines_later_only`] reads `due` over the whole
//!   table too, but changes only deadlines computed with the calendar before the 2026 correction,
//!   which no other case makes, and asserts only on its own applications.
//!
//! [`Store`]: kezek_core::ports::Store
//! [`Outbox`]: kezek_core::ports::Outbox

pub mod blobs;
pub mod book;
pub mod cases;
pub mod correction;
pub mod fixtures;
pub mod lookups;
pub mod moto;
pub mod places;
pub mod records;

use std::future::Future;
use std::sync::Arc;

pub use cases::Subject;

#[doc(hidden)]
pub mod __private {
    pub use tokio;
}

/// Runs every case in order, each on a fresh store from `make`.
pub async fn run_all<S, F, Fut>(make: F)
where
    S: Subject,
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<S>>,
{
    macro_rules! run {
        ($($case:ident),* $(,)?) => {
            $( cases::$case(make().await).await; )*
        };
    }
    run!(
        next_sequence_counts_per_district_and_year,
        next_sequence_concurrent_calls_are_distinct,
        commit_create_and_read_back,
        commit_stale_version_writes_nothing,
        duplicate_child_refused_until_archived,
        applicant_limit_counts_live_applications,
        concurrent_submissions_of_one_child_one_wins,
        history_is_oldest_first_one_per_commit,
        applications_by_applicant_and_child,
        queue_orders_by_rank_then_time_then_number,
        privilege_rejection_moves_child_to_general,
        queue_holds_only_queued_and_restore_keeps_position,
        cohorts_and_districts_are_separate_queues,
        due_returns_only_due_earliest_first,
        kindergartens_put_with_versions,
        voucher_offers_limited_by_free_places,
        take_place_decrements_and_refuses_at_zero,
        last_free_place_concurrent_choices_one_wins,
        concurrent_offers_never_exceed_places,
        status_counts_follow_transitions,
        profiles_and_linked_children,
        outbox_follows_commits,
        outbox_enqueue_mark_and_counts,
        send_claims_hold_once_per_channel,
        rate_limit_windows_count_to_the_limit,
        one_time_codes_count_attempts_and_work_once,
        markers_and_staff_register,
        documents_put_and_read_back,
    );
    correction::calendar_correction_moves_deadlines_later_only(make().await).await;
    lookups::application_by_registration_number(make().await).await;
    book::a_year_of_a_district_explains_every_move(make().await).await;
    records::run_log_appends_in_order_and_never_replaces(make().await).await;
    records::sweep_records_keep_each_parts_last_pass(make().await).await;
    places::a_places_cut_keeps_a_place_per_voucher_outstanding(make().await).await;
}

/// Expands to one `#[tokio::test]` (multi-thread, 4 workers) per contract case, each on a fresh
/// store from the factory: an expression callable as `Fn() -> impl Future<Output = Arc<S>>`.
///
/// The caller needs `kezek-contract` as a (dev-)dependency under that name; tokio comes with it.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr $(,)?) => {
        $crate::contract_tests!(@cases $make;
            next_sequence_counts_per_district_and_year,
            next_sequence_concurrent_calls_are_distinct,
            commit_create_and_read_back,
            commit_stale_version_writes_nothing,
            duplicate_child_refused_until_archived,
            applicant_limit_counts_live_applications,
            concurrent_submissions_of_one_child_one_wins,
            history_is_oldest_first_one_per_commit,
            applications_by_applicant_and_child,
            queue_orders_by_rank_then_time_then_number,
            privilege_rejection_moves_child_to_general,
            queue_holds_only_queued_and_restore_keeps_position,
            cohorts_and_districts_are_separate_queues,
            due_returns_only_due_earliest_first,
            kindergartens_put_with_versions,
            voucher_offers_limited_by_free_places,
            take_place_decrements_and_refuses_at_zero,
            last_free_place_concurrent_choices_one_wins,
            concurrent_offers_never_exceed_places,
            status_counts_follow_transitions,
            profiles_and_linked_children,
            outbox_follows_commits,
            outbox_enqueue_mark_and_counts,
            send_claims_hold_once_per_channel,
            rate_limit_windows_count_to_the_limit,
            one_time_codes_count_attempts_and_work_once,
            markers_and_staff_register,
            documents_put_and_read_back,
        );
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn calendar_correction_moves_deadlines_later_only() {
            let make = $make;
            $crate::correction::calendar_correction_moves_deadlines_later_only(make().await).await;
        }
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn a_year_of_a_district_explains_every_move() {
            let make = $make;
            $crate::book::a_year_of_a_district_explains_every_move(make().await).await;
        }
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn application_by_registration_number() {
            let make = $make;
            $crate::lookups::application_by_registration_number(make().await).await;
        }
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn run_log_appends_in_order_and_never_replaces() {
            let make = $make;
            $crate::records::run_log_appends_in_order_and_never_replaces(make().await).await;
        }
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn sweep_records_keep_each_parts_last_pass() {
            let make = $make;
            $crate::records::sweep_records_keep_each_parts_last_pass(make().await).await;
        }
        #[$crate::__private::tokio::test(
            flavor = "multi_thread",
            worker_threads = 4,
            crate = "kezek_contract::__private::tokio"
        )]
        async fn a_places_cut_keeps_a_place_per_voucher_outstanding() {
            let make = $make;
            $crate::places::a_places_cut_keeps_a_place_per_voucher_outstanding(make().await).await;
        }
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[$crate::__private::tokio::test(
                flavor = "multi_thread",
                worker_threads = 4,
                crate = "kezek_contract::__private::tokio"
            )]
            async fn $case() {
                let make = $make;
                $crate::cases::$case(make().await).await;
            }
        )*
    };
}
