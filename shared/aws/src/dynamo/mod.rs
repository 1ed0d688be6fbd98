//! The DynamoDB adapter of the store and outbox ports: one table, every change set in one
//! `TransactWriteItems` with conditions on version, child lock, places and vouchers.

mod calendar;
mod credentials;
mod outbox;
mod records;
mod store;
pub use calendar::CalendarItemV1;

use crate::items::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use kezek_core::domain::*;
use kezek_core::iin::Iin;
use kezek_core::lifecycle::{Effect, Sweep};
use kezek_core::ports::*;
use kezek_core::queue::{AgeGroup, Cohort, QueueKey};
use kezek_core::reference::Reference;
use kezek_core::rules::MAX_LIVE_APPLICATIONS_PER_APPLICANT;
use kezek_core::time::Time;
use kezek_core::values::RegistrationNumber;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

type Item = HashMap<String, AttributeValue>;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

fn sdk_err<E: std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    StoreError(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())
}

/// An item read back through its versioned type into the domain.
fn decode<I, T>(item: Item) -> Result<T, StoreError>
where
    I: serde::de::DeserializeOwned,
    T: TryFrom<I, Error = StoreError>,
{
    serde_dynamo::from_item::<_, I>(item)
        .map_err(err)?
        .try_into()
}
fn key(pk: String, sk: &str) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

fn get_str<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

fn get_i64(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|x| x.parse::<i64>().ok())
        .unwrap_or(0)
}

fn get_u64(item: &Item, name: &str) -> u64 {
    get_i64(item, name).max(0) as u64
}

/// Sums a sharded counter: one shard may be below zero (a decrement on another shard than the
/// increment), the sum never is.
fn sum_counter(shards: &[Item], name: &str) -> u64 {
    shards.iter().map(|i| get_i64(i, name)).sum::<i64>().max(0) as u64
}

/// What each item of a transaction guards, to name the conflict when one of its conditions fails.
#[derive(Debug, Clone, Copy)]
enum Guard {
    Application,
    ChildLock,
    ApplicantLimit,
    Place,
    VoucherPool,
    Unconditional,
}

/// The DynamoDB store and outbox.
pub struct DynamoStore {
    client: Client,
    table: String,
    /// Items read by queries and gets, for metrics and the request-budget tests.
    items_read: AtomicU64,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore {
            client,
            table: table.into(),
            items_read: AtomicU64::new(0),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Items read from the table and its indexes since start.
    pub fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }

    fn read(&self, count: usize) {
        self.items_read.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// Creates the table with its indexes if it does not exist (local runs and tests; in AWS the
    /// SAM template owns the table).
    pub async fn ensure_table(&self) -> Result<(), StoreError> {
        match self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_resource_not_found_exception()) => {}
            Err(e) => return Err(sdk_err(e)),
        }
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(err)
        };
        let ks = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .map_err(err)
        };
        let mut req = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(ks(PK, KeyType::Hash)?)
            .key_schema(ks(SK, KeyType::Range)?);
        for a in [
            PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK, GSI4PK, GSI4SK, GSI5PK,
        ] {
            req = req.attribute_definitions(attr(a)?);
        }
        for (name, pk, sk) in [
            (GSI1, GSI1PK, Some(GSI1SK)),
            (GSI2, GSI2PK, Some(GSI2SK)),
            (GSI3, GSI3PK, Some(GSI3SK)),
            (GSI4, GSI4PK, Some(GSI4SK)),
            (GSI5, GSI5PK, None),
        ] {
            let mut index = GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(ks(pk, KeyType::Hash)?);
            if let Some(sk) = sk {
                index = index.key_schema(ks(sk, KeyType::Range)?);
            }
            req = req.global_secondary_indexes(
                index
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .map_err(err)?,
            );
        }
        match req.send().await {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_err(e)),
        }
    }

    /// Bulk-loads applications as they are: the items with their index keys and, for live ones,
    /// the child locks and the applicants' live counts; 25 items per BatchWriteItem. For migrating an existing queue into an empty
    /// table: history, outbox, voucher pools and status counters are not written.
    pub async fn import(&self, apps: &[Application]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut items = Vec::with_capacity(apps.len() * 2);
        // One lock per child (a batch may not name a key twice).
        let mut locks: BTreeMap<String, Item> = BTreeMap::new();
        for a in apps {
            items.push(self.app_item(a)?);
            if a.status() != Status::Archived {
                let mut lock = key(child_lock_pk(&a.child_iin), CHILD_LOCK_SK);
                lock.insert("application_id".into(), s(a.id.clone()));
                locks.insert(child_lock_pk(&a.child_iin), lock);
            }
        }
        items.extend(locks.into_values());
        // The queue book: each queued application's entry, in its registration day's bucket
        // (what the commits would have written; also the book of a table made before it).
        let mut book: BTreeMap<(String, String), Vec<AttributeValue>> = BTreeMap::new();
        for a in apps.iter().filter(|a| a.status() == Status::Queued) {
            let key_of = a.queue_key(Reference::builtin());
            let (day, shard) = kezek_core::queue_book::bucket_of(a);
            let cohort = kezek_core::queue::cohort_of(a.child_birth_date);
            let event = kezek_core::queue_book::QueueEvent {
                at: a.registered_at.timestamp_micros(),
                enters: true,
                place: kezek_core::queue_book::Place::of(&key_of),
                why: kezek_core::queue_book::Why::Registered,
                run: String::new(),
            };
            book.entry((book_pk(&a.district, cohort), book_sk(&day, shard)))
                .or_default()
                .push(s(event.encode()));
        }
        for ((pk, sk), events) in book {
            let mut item = key(pk, &sk);
            item.insert("ev".into(), AttributeValue::L(events));
            items.push(item);
        }
        // The applicants' live counts.
        let mut live: BTreeMap<String, u32> = BTreeMap::new();
        for a in apps.iter().filter(|a| a.status() != Status::Archived) {
            *live.entry(applicant_live_pk(&a.applicant_iin)).or_default() += 1;
        }
        for (pk, count) in live {
            let mut item = key(pk, APPLICANT_LIVE_SK);
            item.insert("live".into(), n(count));
            items.push(item);
        }
        for chunk in items.chunks(25) {
            let mut writes = Vec::with_capacity(chunk.len());
            for item in chunk {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .map_err(err)?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            let mut pending = Some(HashMap::from([(self.table.clone(), writes)]));
            while let Some(items) = pending.take().filter(|m| !m.is_empty()) {
                let out = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(items))
                    .send()
                    .await
                    .map_err(sdk_err)?;
                pending = out
                    .unprocessed_items()
                    .filter(|m| m.values().any(|v| !v.is_empty()))
                    .cloned();
            }
        }
        Ok(())
    }

    fn app_item(&self, app: &Application) -> Result<Item, StoreError> {
        let mut item: Item = serde_dynamo::to_item(ApplicationItemV1::from(app)).map_err(err)?;
        item.insert(PK.into(), s(app_pk(&app.id)));
        item.insert(SK.into(), s(APP_SK));
        item.insert("T".into(), s("application"));
        for (k, v) in application_index_keys(app, Reference::builtin()) {
            item.insert(k.into(), s(v));
        }
        Ok(item)
    }

    fn put(
        &self,
        item: Item,
        condition: Option<&str>,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut p = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(c) = condition {
            p = p.condition_expression(c);
        }
        if !values.is_empty() {
            p = p.set_expression_attribute_values(Some(values));
        }
        Ok(TransactWriteItem::builder()
            .put(p.build().map_err(err)?)
            .build())
    }

    fn update(
        &self,
        key: Item,
        expr: &str,
        condition: Option<&str>,
        names: HashMap<String, String>,
        values: Item,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(expr)
            .set_expression_attribute_values(Some(values));
        if !names.is_empty() {
            u = u.set_expression_attribute_names(Some(names));
        }
        if let Some(c) = condition {
            u = u.condition_expression(c);
        }
        Ok(TransactWriteItem::builder()
            .update(u.build().map_err(err)?)
            .build())
    }

    /// Runs a transaction. With a `token`, an SDK retry of a transaction that did commit succeeds
    /// instead of failing its own conditions (DynamoDB's idempotency window, 10 minutes).
    async fn transact_with(
        &self,
        items: Vec<(TransactWriteItem, Guard)>,
        token: Option<String>,
    ) -> Result<(), CommitError> {
        let (writes, guards): (Vec<_>, Vec<_>) = items.into_iter().unzip();
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .set_client_request_token(token)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(se)) => match se.err() {
                TransactWriteItemsError::TransactionCanceledException(ex) => {
                    let reasons = ex.cancellation_reasons();
                    let failed = reasons
                        .iter()
                        .position(|r| r.code() == Some("ConditionalCheckFailed"));
                    let conflict = match failed.and_then(|i| guards.get(i)) {
                        Some(Guard::ChildLock) => Conflict::DuplicateChild,
                        Some(Guard::ApplicantLimit) => Conflict::ApplicantLimit,
                        Some(Guard::Place) => Conflict::NoFreePlace,
                        Some(Guard::VoucherPool) => Conflict::NoVoucherPlace,
                        // The application's version, or a transaction conflict with a
                        // concurrent writer: re-read and decide again.
                        _ => Conflict::Stale,
                    };
                    Err(CommitError::Conflict(conflict))
                }
                // Another writer's change of the same version (same token, other items), or one
                // still in progress: re-read and decide again.
                TransactWriteItemsError::TransactionInProgressException(_)
                | TransactWriteItemsError::IdempotentParameterMismatchException(_) => {
                    Err(CommitError::Conflict(Conflict::Stale))
                }
                _ => Err(CommitError::Store(err(format!(
                    "transact: {}",
                    aws_smithy_types::error::display::DisplayErrorContext(se.err())
                )))),
            },
            Err(e) => Err(CommitError::Store(sdk_err(e))),
        }
    }

    async fn transact(&self, items: Vec<(TransactWriteItem, Guard)>) -> Result<(), CommitError> {
        self.transact_with(items, None).await
    }

    async fn query_all(
        &self,
        index: Option<&str>,
        pk_name: &str,
        pk: String,
        sk_cond: Option<(&str, String)>,
        limit: Option<usize>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut q = self
                .client
                .query()
                .table_name(&self.table)
                // Base-table reads (history, links) see the latest write, as the embedded store
                // does; indexes are eventually consistent by nature.
                .consistent_read(index.is_none())
                .set_index_name(index.map(str::to_owned))
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start.take());
            let mut cond = "#pk = :pk".to_owned();
            if let Some((c, v)) = &sk_cond {
                cond.push_str(" AND ");
                cond.push_str(c);
                q = q.expression_attribute_values(":sk", s(v.clone()));
                let sk_name = match index {
                    Some(GSI1) => GSI1SK,
                    Some(GSI2) => GSI2SK,
                    Some(GSI3) => GSI3SK,
                    Some(GSI4) => GSI4SK,
                    _ => SK,
                };
                q = q.expression_attribute_names("#sk", sk_name);
            }
            if let Some(l) = limit {
                q = q.limit((l - out.len()).min(1000) as i32);
            }
            let page = q
                .key_condition_expression(cond)
                .send()
                .await
                .map_err(sdk_err)?;
            let items = page.items().to_vec();
            self.read(items.len());
            out.extend(items);
            match page.last_evaluated_key() {
                Some(k) if limit.is_none_or(|l| out.len() < l) => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// Every application in one partition of an owner index.
    /// A queue in order from its head, or after `after`, at most `limit`.
    async fn queue_from(
        &self,
        district: &str,
        cohort: Cohort,
        after: Option<&QueueKey>,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let after = after.map(|k| ("#sk > :sk", queue_sk(k)));
        let items = self
            .query_all(
                Some(GSI1),
                GSI1PK,
                queue_pk(district, cohort),
                after,
                Some(limit),
            )
            .await?;
        self.apps(items)
    }

    async fn apps_on(
        &self,
        index: &str,
        pk_name: &str,
        pk: String,
    ) -> Result<Vec<Application>, StoreError> {
        let items = self.query_all(Some(index), pk_name, pk, None, None).await?;
        self.apps(items)
    }

    /// The applications of a sweep's page: one item that cannot be read (an inconsistent
    /// state written by a foreign or broken writer) is logged by its key and left out, so it
    /// cannot hold up every other family's deadline.
    fn readable_apps(&self, items: Vec<Item>) -> Vec<Application> {
        items
            .into_iter()
            .filter_map(|item| {
                let key = get_str(&item, PK).unwrap_or_default().to_owned();
                match decode::<ApplicationItemV1, Application>(item) {
                    Ok(app) => Some(app),
                    Err(e) => {
                        tracing::error!(key, error = %e, "an application item the sweep cannot read");
                        None
                    }
                }
            })
            .collect()
    }

    fn apps(&self, items: Vec<Item>) -> Result<Vec<Application>, StoreError> {
        items
            .into_iter()
            .map(decode::<ApplicationItemV1, Application>)
            .collect()
    }

    /// One unconditional PutItem (profiles, links, codes, markers, staff, documents).
    async fn write_item(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }

    async fn get(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_err)?;
        self.read(usize::from(out.item().is_some()));
        Ok(out.item().cloned())
    }

    /// Reads items by key in one BatchGetItem, repeating for keys DynamoDB left unprocessed
    /// (throttling) with a growing pause.
    async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut request = KeysAndAttributes::builder().consistent_read(true);
        for k in keys {
            request = request.keys(k);
        }
        let mut pending = Some(request.build().map_err(err)?);
        let mut items = Vec::new();
        let mut pause = std::time::Duration::from_millis(20);
        while let Some(req) = pending.take() {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, req)
                .send()
                .await
                .map_err(sdk_err)?;
            if let Some(found) = out.responses().and_then(|r| r.get(&self.table)) {
                items.extend(found.iter().cloned());
            }
            pending = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
            if pending.is_some() {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(1));
            }
        }
        self.read(items.len());
        Ok(items)
    }

    /// Sums a district's sharded counters in one BatchGetItem.
    async fn counters(&self, district: &str) -> Result<Vec<Item>, StoreError> {
        let keys = (0..STAT_SHARDS)
            .map(|shard| key(stats_pk(district, shard), STATS_SK))
            .collect();
        self.batch_get(keys).await
    }
}

fn conditional_failed<E, R>(e: &SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    matches!(e, SdkError::ServiceError(x) if x.err().code() == Some("ConditionalCheckFailedException"))
}

fn millis(t: chrono::DateTime<chrono::Utc>) -> AttributeValue {
    n(t.timestamp_millis())
}

fn from_millis(item: &Item, name: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(get_i64(item, name)).unwrap_or_default()
}
