//! The DynamoDB adapter of the store and outbox ports: one table, every change set in one
//! `TransactWriteItems` with conditions on version, child lock, places and vouchers.

mod calendar;
pub use calendar::CalendarItemV1;

use crate::items::*;
use crate::keys::*;
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, Delete, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, KeysAndAttributes, Projection, ProjectionType, Put,
    ScalarAttributeType, Select, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use kezek_core::domain::*;
use kezek_core::iin::Iin;
use kezek_core::lifecycle::{Effect, Sweep};
use kezek_core::ports::*;
use kezek_core::queue::{AgeGroup, Cohort, QueueKey};
use kezek_core::reference::Reference;
use kezek_core::time::Time;
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
            PK, SK, GSI1PK, GSI1SK, GSI2PK, GSI2SK, GSI3PK, GSI3SK, GSI4PK, GSI4SK,
        ] {
            req = req.attribute_definitions(attr(a)?);
        }
        for (name, pk, sk) in [
            (GSI1, GSI1PK, GSI1SK),
            (GSI2, GSI2PK, GSI2SK),
            (GSI3, GSI3PK, GSI3SK),
            (GSI4, GSI4PK, GSI4SK),
        ] {
            req = req.global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(name)
                    .key_schema(ks(pk, KeyType::Hash)?)
                    .key_schema(ks(sk, KeyType::Range)?)
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
    /// the child locks; 25 items per BatchWriteItem. For migrating an existing queue into an empty
    /// table: history, outbox, voucher pools and status counters are not written.
    pub async fn import(&self, apps: &[Application]) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
        let mut items = Vec::with_capacity(apps.len() * 2);
        // One lock per child (a batch may not name a key twice).
        let mut locks: BTreeMap<String, Item> = BTreeMap::new();
        for a in apps {
            items.push(self.app_item(a)?);
            if a.status != Status::Archived {
                let mut lock = key(child_lock_pk(&a.child_iin), CHILD_LOCK_SK);
                lock.insert("application_id".into(), s(a.id.clone()));
                locks.insert(child_lock_pk(&a.child_iin), lock);
            }
        }
        items.extend(locks.into_values());
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
    async fn apps_on(
        &self,
        index: &str,
        pk_name: &str,
        pk: String,
    ) -> Result<Vec<Application>, StoreError> {
        let items = self.query_all(Some(index), pk_name, pk, None, None).await?;
        self.apps(items)
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

#[async_trait]
impl Store for DynamoStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.get(app_pk("health"), APP_SK).await.map(|_| ())
    }

    async fn next_sequence(&self, district: &str, year: i32) -> Result<u64, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(sequence_pk(district, year), "SEQ")))
            .update_expression("ADD seq :one")
            .expression_attribute_values(":one", n(1))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(sdk_err)?;
        let seq = out
            .attributes()
            .map(|a| get_u64(a, "seq"))
            .ok_or_else(|| err("sequence: no value returned"))?;
        Ok(seq)
    }

    async fn commit(&self, change: ChangeSet) -> Result<(), CommitError> {
        let app = &change.application;
        let mut items: Vec<(TransactWriteItem, Guard)> = Vec::new();
        // The application, at its version.
        let item = self.app_item(app)?;
        match change.expected_version {
            None => items.push((
                self.put(item, Some("attribute_not_exists(PK)"), Item::new())?,
                Guard::Application,
            )),
            Some(v) => items.push((
                self.put(
                    item,
                    Some("version = :v"),
                    HashMap::from([(":v".into(), n(v))]),
                )?,
                Guard::Application,
            )),
        }
        // Its history entry.
        let mut h: Item =
            serde_dynamo::to_item(HistoryItemV1::from(&change.history)).map_err(err)?;
        h.insert(PK.into(), s(app_pk(&app.id)));
        h.insert(SK.into(), s(history_sk(change.history.version)));
        items.push((self.put(h, None, Item::new())?, Guard::Unconditional));
        // Its notifications: the outbox, pending in the sharded outbox index.
        for note in &change.notifications {
            let mut i: Item = HashMap::new();
            i.insert(PK.into(), s(notification_pk(&note.id)));
            i.insert(SK.into(), s(NOTIFICATION_SK));
            i.insert(
                "n".into(),
                serde_dynamo::to_attribute_value(NotificationMessageV1::from(note)).map_err(err)?,
            );
            i.insert("district".into(), s(app.district.clone()));
            i.insert(GSI2PK.into(), s(outbox_pk(&note.id)));
            i.insert(
                GSI2SK.into(),
                s(format!("{}#{}", micros(note.created_at), note.id)),
            );
            items.push((
                self.put(i, Some("attribute_not_exists(PK)"), Item::new())?,
                Guard::Unconditional,
            ));
        }
        // The one-live-application-per-child lock.
        if change.expected_version.is_none() {
            let mut lock = key(child_lock_pk(&app.child_iin), CHILD_LOCK_SK);
            lock.insert("application_id".into(), s(app.id.clone()));
            items.push((
                self.put(lock, Some("attribute_not_exists(PK)"), Item::new())?,
                Guard::ChildLock,
            ));
        }
        for e in &change.effects {
            match e {
                Effect::OfferVoucher { district, age_group } => items.push((
                    self.update(
                        key(pool_pk(district, *age_group), POOL_SK),
                        "ADD offered :one",
                        Some("attribute_exists(places) AND (attribute_not_exists(offered) OR offered < places)"),
                        HashMap::new(),
                        HashMap::from([(":one".into(), n(1))]),
                    )?,
                    Guard::VoucherPool,
                )),
                Effect::ReleaseVoucher { district, age_group } => items.push((
                    self.update(
                        key(pool_pk(district, *age_group), POOL_SK),
                        "ADD offered :minus",
                        None,
                        HashMap::new(),
                        HashMap::from([(":minus".into(), n(-1))]),
                    )?,
                    Guard::Unconditional,
                )),
                Effect::TakePlace { kindergarten_id, district, age_group } => {
                    items.push((
                        self.update(
                            key(kindergarten_pk(kindergarten_id), KG_SK),
                            "SET free_places.#ag = free_places.#ag - :one ADD version :one",
                            Some("free_places.#ag >= :one"),
                            HashMap::from([("#ag".into(), age_group.to_string())]),
                            HashMap::from([(":one".into(), n(1))]),
                        )?,
                        Guard::Place,
                    ));
                    items.push((
                        self.update(
                            key(pool_pk(district, *age_group), POOL_SK),
                            "ADD places :minus, offered :minus",
                            None,
                            HashMap::new(),
                            HashMap::from([(":minus".into(), n(-1))]),
                        )?,
                        Guard::Unconditional,
                    ));
                }
                Effect::ReleaseChild { child_iin } => {
                    let d = Delete::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(child_lock_pk(child_iin), CHILD_LOCK_SK)))
                        .condition_expression("attribute_not_exists(PK) OR application_id = :id")
                        .expression_attribute_values(":id", s(app.id.clone()))
                        .build()
                        .map_err(err)?;
                    items.push((TransactWriteItem::builder().delete(d).build(), Guard::Unconditional));
                }
            }
        }
        // The district's status counters (sharded) and pending notifications.
        let prev = change.previous_status;
        let status_changed = prev != Some(app.status);
        if status_changed || !change.notifications.is_empty() {
            let mut expr = Vec::new();
            let mut names = HashMap::new();
            let mut values: Item = HashMap::new();
            if status_changed {
                names.insert("#to".to_owned(), status_attr(app.status));
                values.insert(":one".into(), n(1));
                expr.push("#to :one".to_owned());
                if let Some(p) = prev {
                    names.insert("#from".to_owned(), status_attr(p));
                    values.insert(":minus".into(), n(-1));
                    expr.push("#from :minus".to_owned());
                }
            }
            if !change.notifications.is_empty() {
                values.insert(":notes".into(), n(change.notifications.len()));
                expr.push("notif_pending :notes".to_owned());
            }
            items.push((
                self.update(
                    key(stats_pk(&app.district, stats_shard(&app.id)), STATS_SK),
                    &format!("ADD {}", expr.join(", ")),
                    None,
                    names,
                    values,
                )?,
                Guard::Unconditional,
            ));
        }
        // One token per (application, version): a retried commit of this change is idempotent.
        let token = format!("{:016x}-{:016x}", fnv(&app.id), app.version);
        self.transact_with(items, Some(token)).await
    }

    async fn application(&self, id: &str) -> Result<Option<Application>, StoreError> {
        match self.get(app_pk(id), APP_SK).await? {
            Some(i) => decode::<ApplicationItemV1, _>(i).map(Some),
            None => Ok(None),
        }
    }

    async fn application_and_kindergarten(
        &self,
        id: &str,
        kindergarten_id: &str,
    ) -> Result<(Option<Application>, Option<Kindergarten>), StoreError> {
        let items = self
            .batch_get(vec![
                key(app_pk(id), APP_SK),
                key(kindergarten_pk(kindergarten_id), KG_SK),
            ])
            .await?;
        let (mut app, mut kg) = (None, None);
        for i in items {
            match get_str(&i, SK) {
                Some(APP_SK) => app = Some(decode::<ApplicationItemV1, _>(i)?),
                Some(KG_SK) => kg = Some(decode::<KindergartenItemV1, _>(i)?),
                _ => {}
            }
        }
        Ok((app, kg))
    }

    async fn applications_by_applicant(&self, iin: &Iin) -> Result<Vec<Application>, StoreError> {
        self.apps_on(GSI3, GSI3PK, applicant_pk(iin)).await
    }

    async fn applications_by_child(&self, child: &Iin) -> Result<Vec<Application>, StoreError> {
        self.apps_on(GSI4, GSI4PK, child_pk(child)).await
    }

    async fn history(&self, id: &str) -> Result<Vec<HistoryEntry>, StoreError> {
        let items = self
            .query_all(
                None,
                PK,
                app_pk(id),
                Some(("begins_with(#sk, :sk)", "H#".into())),
                None,
            )
            .await?;
        items
            .into_iter()
            .map(decode::<HistoryItemV1, HistoryEntry>)
            .collect()
    }

    async fn queue_position(
        &self,
        district: &str,
        cohort: Cohort,
        key: &QueueKey,
    ) -> Result<u64, StoreError> {
        // COUNT of the index entries ahead: one page per ~1 MB of index data read.
        let mut ahead = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk AND GSI1SK < :sk")
                .expression_attribute_values(":pk", s(queue_pk(district, cohort)))
                .expression_attribute_values(":sk", s(queue_sk(key)))
                .select(Select::Count)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_err)?;
            ahead += page.count().max(0) as u64;
            self.read(page.scanned_count().max(0) as usize);
            match page.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => return Ok(ahead + 1),
            }
        }
    }

    async fn queue(
        &self,
        district: &str,
        cohort: Cohort,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let items = self
            .query_all(
                Some(GSI1),
                GSI1PK,
                queue_pk(district, cohort),
                None,
                Some(limit),
            )
            .await?;
        self.apps(items)
    }

    async fn due(
        &self,
        sweep: Sweep,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        let upto = format!("{}#~", micros(now));
        let shards = (0..DUE_SHARDS).map(|shard| {
            self.query_all(
                Some(GSI2),
                GSI2PK,
                due_pk(sweep, shard),
                Some(("#sk <= :sk", upto.clone())),
                Some(limit),
            )
        });
        let mut all = Vec::new();
        for page in futures::future::join_all(shards).await {
            all.extend(page?);
        }
        all.sort_by(|a, b| get_str(a, GSI2SK).cmp(&get_str(b, GSI2SK)));
        all.truncate(limit);
        self.apps(all)
    }

    async fn outstanding_vouchers(
        &self,
        district: &str,
        age_group: AgeGroup,
    ) -> Result<u32, StoreError> {
        Ok(self
            .get(pool_pk(district, age_group), POOL_SK)
            .await?
            .map_or(0, |i| get_u64(&i, "offered") as u32))
    }

    async fn kindergarten(&self, id: &str) -> Result<Option<Kindergarten>, StoreError> {
        match self.get(kindergarten_pk(id), KG_SK).await? {
            Some(i) => decode::<KindergartenItemV1, _>(i).map(Some),
            None => Ok(None),
        }
    }

    async fn kindergartens(&self, district: Option<&str>) -> Result<Vec<Kindergarten>, StoreError> {
        let prefix = district.map(|d| ("begins_with(#sk, :sk)", format!("{d}#")));
        let items = self
            .query_all(Some(GSI4), GSI4PK, CATALOGUE.to_owned(), prefix, None)
            .await?;
        items
            .into_iter()
            .map(decode::<KindergartenItemV1, Kindergarten>)
            .collect()
    }

    async fn put_kindergarten(
        &self,
        kg: Kindergarten,
        expected_version: Option<u64>,
    ) -> Result<(), CommitError> {
        let old = self.kindergarten(&kg.id).await?;
        if old.as_ref().map(|o| o.version) != expected_version {
            return Err(CommitError::Conflict(Conflict::Stale));
        }
        let mut item: Item = serde_dynamo::to_item(KindergartenItemV1::from(&kg)).map_err(err)?;
        item.insert(PK.into(), s(kindergarten_pk(&kg.id)));
        item.insert(SK.into(), s(KG_SK));
        item.insert(GSI4PK.into(), s(CATALOGUE));
        item.insert(GSI4SK.into(), s(catalogue_sk(&kg.district, &kg.id)));
        let put = match expected_version {
            None => self.put(item, Some("attribute_not_exists(PK)"), Item::new())?,
            Some(v) => self.put(
                item,
                Some("version = :v"),
                HashMap::from([(":v".into(), n(v))]),
            )?,
        };
        let mut items = vec![(put, Guard::Application)];
        // The district pools follow the change of free places per age group.
        let mut deltas: BTreeMap<AgeGroup, i64> = BTreeMap::new();
        for (a, c) in &kg.free_places {
            *deltas.entry(*a).or_default() += i64::from(*c);
        }
        if let Some(o) = &old {
            for (a, c) in &o.free_places {
                *deltas.entry(*a).or_default() -= i64::from(*c);
            }
        }
        for (a, d) in deltas {
            // Every pool a kindergarten has places in exists, even at 0.
            items.push((
                self.update(
                    key(pool_pk(&kg.district, a), POOL_SK),
                    "ADD places :d",
                    None,
                    HashMap::new(),
                    HashMap::from([(":d".into(), n(d))]),
                )?,
                Guard::Unconditional,
            ));
        }
        match self.transact(items).await {
            Err(CommitError::Conflict(_)) => Err(CommitError::Conflict(Conflict::Stale)),
            other => other,
        }
    }

    async fn status_counts(&self, district: &str) -> Result<BTreeMap<Status, u64>, StoreError> {
        let shards = self.counters(district).await?;
        Ok(Status::ALL
            .iter()
            .map(|st| (*st, sum_counter(&shards, &status_attr(*st))))
            .collect())
    }

    async fn profile(&self, iin: &Iin) -> Result<Option<Profile>, StoreError> {
        match self.get(profile_pk(iin), PROFILE_SK).await? {
            Some(i) => decode::<ProfileItemV1, _>(i).map(Some),
            None => Ok(None),
        }
    }

    async fn put_profile(&self, profile: Profile) -> Result<(), StoreError> {
        let mut item: Item = serde_dynamo::to_item(ProfileItemV1::from(&profile)).map_err(err)?;
        item.insert(PK.into(), s(profile_pk(&profile.iin)));
        item.insert(SK.into(), s(PROFILE_SK));
        self.write_item(item).await
    }

    async fn put_document(
        &self,
        document: kezek_core::documents::DocumentRecord,
    ) -> Result<(), StoreError> {
        let mut item: Item = serde_dynamo::to_item(DocumentItemV1::from(&document)).map_err(err)?;
        item.insert(PK.into(), s(document_pk(&document.id)));
        item.insert(SK.into(), s(DOCUMENT_SK));
        self.write_item(item).await
    }

    async fn document(
        &self,
        id: &str,
    ) -> Result<Option<kezek_core::documents::DocumentRecord>, StoreError> {
        match self.get(document_pk(id), DOCUMENT_SK).await? {
            Some(item) => decode::<DocumentItemV1, _>(item).map(Some),
            None => Ok(None),
        }
    }

    async fn link_child(&self, parent: &Iin, child: &Iin) -> Result<(), StoreError> {
        let mut item = key(profile_pk(parent), &link_sk(child));
        item.insert("child".into(), s(child.as_str()));
        self.write_item(item).await
    }

    async fn linked_children(&self, parent: &Iin) -> Result<Vec<Iin>, StoreError> {
        let items = self
            .query_all(
                None,
                PK,
                profile_pk(parent),
                Some(("begins_with(#sk, :sk)", "LINK#".into())),
                None,
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|i| get_str(i, "child"))
            .filter_map(|c| Iin::try_from(c.to_owned()).ok())
            .collect())
    }
}

#[async_trait]
impl Outbox for DynamoStore {
    async fn enqueue(&self, note: Notification) -> Result<(), StoreError> {
        let mut i: Item = HashMap::new();
        i.insert(PK.into(), s(notification_pk(&note.id)));
        i.insert(SK.into(), s(NOTIFICATION_SK));
        i.insert(
            "n".into(),
            serde_dynamo::to_attribute_value(NotificationMessageV1::from(&note)).map_err(err)?,
        );
        i.insert("district".into(), s(NO_DISTRICT));
        i.insert(GSI2PK.into(), s(outbox_pk(&note.id)));
        i.insert(
            GSI2SK.into(),
            s(format!("{}#{}", micros(note.created_at), note.id)),
        );
        let counter = self.update(
            key(stats_pk(NO_DISTRICT, stats_shard(&note.id)), STATS_SK),
            "ADD notif_pending :one",
            None,
            HashMap::new(),
            HashMap::from([(":one".into(), n(1))]),
        )?;
        let items = vec![
            (
                self.put(i, Some("attribute_not_exists(PK)"), Item::new())?,
                Guard::Application,
            ),
            (counter, Guard::Unconditional),
        ];
        match self.transact(items).await {
            // Already enqueued: idempotent.
            Ok(()) | Err(CommitError::Conflict(_)) => Ok(()),
            Err(CommitError::Store(e)) => Err(e),
        }
    }

    async fn pending(&self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let mut all = Vec::new();
        for shard in 0..DUE_SHARDS {
            all.extend(
                self.query_all(
                    Some(GSI2),
                    GSI2PK,
                    format!("OUTBOX#{shard}"),
                    None,
                    Some(limit),
                )
                .await?,
            );
        }
        all.sort_by(|a, b| get_str(a, GSI2SK).cmp(&get_str(b, GSI2SK)));
        all.truncate(limit);
        all.into_iter()
            .map(|i| {
                let v = i
                    .get("n")
                    .cloned()
                    .ok_or_else(|| err("outbox item without body"))?;
                serde_dynamo::from_attribute_value::<_, NotificationMessageV1>(v)
                    .map_err(err)?
                    .try_into()
            })
            .collect()
    }

    async fn mark(&self, id: &str, delivery: Delivery) -> Result<(), StoreError> {
        let Some(item) = self.get(notification_pk(id), NOTIFICATION_SK).await? else {
            return Ok(());
        };
        if !item.contains_key(GSI2PK) {
            return Ok(()); // already marked: idempotent
        }
        let (expr, counter, values) = match &delivery {
            Delivery::Delivered { at } => (
                "REMOVE GSI2PK, GSI2SK SET delivered_at = :at",
                None,
                HashMap::from([(":at".to_owned(), s(at.to_rfc3339()))]),
            ),
            Delivery::Failed { at, error } => (
                "REMOVE GSI2PK, GSI2SK SET failed_at = :at, failure = :e",
                Some("notif_failed"),
                HashMap::from([
                    (":at".to_owned(), s(at.to_rfc3339())),
                    (":e".to_owned(), s(error.clone())),
                ]),
            ),
        };
        let mut items = vec![(
            self.update(
                key(notification_pk(id), NOTIFICATION_SK),
                expr,
                Some("attribute_exists(GSI2PK)"),
                HashMap::new(),
                values,
            )?,
            Guard::Application,
        )];
        if let Some(district) = get_str(&item, "district") {
            let mut add = vec!["notif_pending :minus"];
            if counter.is_some() {
                add.push("notif_failed :one");
            }
            let mut values = HashMap::from([(":minus".to_owned(), n(-1))]);
            if counter.is_some() {
                values.insert(":one".into(), n(1));
            }
            items.push((
                self.update(
                    key(stats_pk(district, stats_shard(id)), STATS_SK),
                    &format!("ADD {}", add.join(", ")),
                    None,
                    HashMap::new(),
                    values,
                )?,
                Guard::Unconditional,
            ));
        }
        match self.transact(items).await {
            Ok(()) | Err(CommitError::Conflict(_)) => Ok(()),
            Err(CommitError::Store(e)) => Err(e),
        }
    }

    async fn counts(&self, district: Option<&str>) -> Result<(u64, u64), StoreError> {
        let districts: Vec<String> = match district {
            Some(d) => vec![d.to_owned()],
            None => Reference::builtin()
                .districts
                .iter()
                .map(|d| d.code.clone())
                .chain([NO_DISTRICT.to_owned()])
                .collect(),
        };
        let (mut pending, mut failed) = (0, 0);
        for d in districts {
            let shards = self.counters(&d).await?;
            pending += sum_counter(&shards, "notif_pending");
            failed += sum_counter(&shards, "notif_failed");
        }
        Ok((pending, failed))
    }

    async fn claim_send(
        &self,
        id: &str,
        channel: Channel,
        now: Time,
        lease: chrono::Duration,
    ) -> Result<SendClaim, StoreError> {
        let mut item = key(send_pk(id), channel.as_str());
        item.insert("state".into(), s("sending"));
        item.insert("lease_until".into(), n((now + lease).timestamp_millis()));
        item.insert(
            "ttl".into(),
            n((now + chrono::Duration::days(SEND_RECORD_DAYS)).timestamp()),
        );
        let out = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(PK) OR (#state = :sending AND lease_until < :now)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(SendClaim::Claimed),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                let current = self.get(send_pk(id), channel.as_str()).await?;
                Ok(match current.as_ref().and_then(|i| get_str(i, "state")) {
                    Some("sent") => SendClaim::AlreadySent,
                    _ => SendClaim::Busy,
                })
            }
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn record_sent(&self, id: &str, channel: Channel, at: Time) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(send_pk(id), channel.as_str())))
            .update_expression("SET #state = :sent, sent_at = :at REMOVE lease_until")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":at", s(at.to_rfc3339()))
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(())
    }

    async fn release_send(&self, id: &str, channel: Channel) -> Result<(), StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(send_pk(id), channel.as_str())))
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_err(e)),
        }
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

/// Credentials items: `RATE#<key>#<window end>`, `OTP#<iin>`, `MARK#<key>`, `STAFF#<iin>`, each
/// with a `ttl` after which DynamoDB removes it (the staff register has none).
#[async_trait]
impl Credentials for DynamoStore {
    async fn hit(
        &self,
        key_: &str,
        window_ends: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(rate_pk(key_, window_ends.timestamp()), RATE_SK)))
            .update_expression("ADD hits :one SET #ttl = :ttl")
            .condition_expression("attribute_not_exists(hits) OR hits < :limit")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(
                ":ttl",
                n((window_ends + chrono::Duration::hours(1)).timestamp()),
            )
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn put_code(&self, code: CodeRecord) -> Result<(), StoreError> {
        let mut item = key(code_pk(&code.iin), CODE_SK);
        item.insert("phone".into(), s(code.phone));
        item.insert("hash".into(), s(code.hash));
        item.insert("issued_at".into(), millis(code.issued_at));
        item.insert("expires_at".into(), millis(code.expires_at));
        item.insert("attempts".into(), n(code.attempts));
        item.insert(
            "ttl".into(),
            n((code.expires_at + chrono::Duration::hours(1)).timestamp()),
        );
        self.write_item(item).await
    }

    async fn code(&self, iin: &Iin) -> Result<Option<CodeRecord>, StoreError> {
        let Some(item) = self.get(code_pk(iin), CODE_SK).await? else {
            return Ok(None);
        };
        Ok(Some(CodeRecord {
            iin: iin.clone(),
            phone: get_str(&item, "phone").unwrap_or_default().to_owned(),
            hash: get_str(&item, "hash").unwrap_or_default().to_owned(),
            issued_at: from_millis(&item, "issued_at"),
            expires_at: from_millis(&item, "expires_at"),
            attempts: get_u64(&item, "attempts") as u32,
        }))
    }

    async fn wrong_attempt(&self, iin: &Iin, hash: &str) -> Result<Option<u32>, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(code_pk(iin), CODE_SK)))
            .update_expression("ADD attempts :one")
            .condition_expression("#hash = :hash")
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":hash", s(hash))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match out {
            Ok(o) => Ok(Some(
                o.attributes
                    .as_ref()
                    .map(|a| get_u64(a, "attempts") as u32)
                    .unwrap_or(0),
            )),
            Err(e) if conditional_failed(&e) => Ok(None),
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn take_code(&self, iin: &Iin, hash: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(code_pk(iin), CODE_SK)))
            .condition_expression("#hash = :hash")
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":hash", s(hash))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if conditional_failed(&e) => Ok(false),
            Err(e) => Err(sdk_err(e)),
        }
    }

    async fn put_marker(
        &self,
        key_: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let mut item = key(marker_pk(key_), MARKER_SK);
        item.insert("until".into(), millis(until));
        item.insert(
            "ttl".into(),
            n((until + chrono::Duration::hours(1)).timestamp()),
        );
        self.write_item(item).await
    }

    async fn marker(
        &self,
        key_: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        Ok(self
            .get(marker_pk(key_), MARKER_SK)
            .await?
            .map(|i| from_millis(&i, "until")))
    }

    async fn take_marker(
        &self,
        key_: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(marker_pk(key_), MARKER_SK)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk_err)?;
        Ok(out
            .attributes
            .filter(|a| a.contains_key("until"))
            .map(|a| from_millis(&a, "until")))
    }

    async fn operator_districts(&self, iin: &Iin) -> Result<Option<Vec<String>>, StoreError> {
        Ok(self.get(staff_pk(iin), STAFF_SK).await?.map(|i| {
            i.get("districts")
                .and_then(|v| v.as_l().ok())
                .map(|l| {
                    l.iter()
                        .filter_map(|d| d.as_s().ok().cloned())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        }))
    }

    async fn put_operator(&self, iin: &Iin, districts: Vec<String>) -> Result<(), StoreError> {
        let mut item = key(staff_pk(iin), STAFF_SK);
        item.insert(
            "districts".into(),
            AttributeValue::L(districts.into_iter().map(s).collect()),
        );
        self.write_item(item).await
    }
}
