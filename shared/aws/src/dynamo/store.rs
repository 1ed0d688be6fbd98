//! The store port on the table: applications, history, catalogue, places, profiles and
//! counters, each change set in one transaction.

use super::*;

#[async_trait]
impl Health for DynamoStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.get(app_pk("health"), APP_SK).await.map(|_| ())
    }
}

#[async_trait]
impl Commits for DynamoStore {
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
            // The applicant's live applications, counted below the limit.
            items.push((
                self.update(
                    key(applicant_live_pk(&app.applicant_iin), APPLICANT_LIVE_SK),
                    "ADD live :one",
                    Some("attribute_not_exists(live) OR live < :max"),
                    HashMap::new(),
                    HashMap::from([
                        (":one".into(), n(1)),
                        (":max".into(), n(MAX_LIVE_APPLICATIONS_PER_APPLICANT)),
                    ]),
                )?,
                Guard::ApplicantLimit,
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
                    items.push((
                        self.update(
                            key(applicant_live_pk(&app.applicant_iin), APPLICANT_LIVE_SK),
                            "ADD live :minus",
                            None,
                            HashMap::new(),
                            HashMap::from([(":minus".into(), n(-1))]),
                        )?,
                        Guard::Unconditional,
                    ));
                }
            }
        }
        // The queue book: the events of a change that enters, leaves or moves in the queue,
        // appended to the bucket of the child's registration day (issue 19).
        if let Some(w) = kezek_core::queue_book::book_write(
            app,
            change.previous_status,
            &change.history,
            Reference::builtin(),
        ) {
            let events = w.events.iter().map(|e| s(e.encode())).collect();
            items.push((
                self.update(
                    key(book_pk(&w.district, w.cohort), &book_sk(&w.day, w.shard)),
                    "SET ev = list_append(if_not_exists(ev, :empty), :ev)",
                    None,
                    HashMap::new(),
                    HashMap::from([
                        (":empty".into(), AttributeValue::L(Vec::new())),
                        (":ev".into(), AttributeValue::L(events)),
                    ]),
                )?,
                Guard::Unconditional,
            ));
        }
        // The district's status counters (sharded) and pending notifications.
        let prev = change.previous_status;
        let status_changed = prev != Some(app.status());
        if status_changed || !change.notifications.is_empty() {
            let mut expr = Vec::new();
            let mut names = HashMap::new();
            let mut values: Item = HashMap::new();
            if status_changed {
                names.insert("#to".to_owned(), status_attr(app.status()));
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
}

#[async_trait]
impl ApplicationReads for DynamoStore {
    async fn application(&self, id: &str) -> Result<Option<Application>, StoreError> {
        match self.get(app_pk(id), APP_SK).await? {
            Some(i) => decode::<ApplicationItemV1, _>(i).map(Some),
            None => Ok(None),
        }
    }

    async fn applications_by_applicant(&self, iin: &Iin) -> Result<Vec<Application>, StoreError> {
        self.apps_on(GSI3, GSI3PK, applicant_pk(iin)).await
    }

    async fn applications_by_child(&self, child: &Iin) -> Result<Vec<Application>, StoreError> {
        self.apps_on(GSI4, GSI4PK, child_pk(child)).await
    }

    async fn application_by_number(
        &self,
        number: &RegistrationNumber,
    ) -> Result<Option<Application>, StoreError> {
        let apps = self.apps_on(GSI5, GSI5PK, number_pk(number)).await?;
        Ok(apps.into_iter().next())
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
}

#[async_trait]
impl QueueReads for DynamoStore {
    async fn queue_position(
        &self,
        district: &str,
        cohort: Cohort,
        key: &QueueKey,
    ) -> Result<u64, StoreError> {
        // Counted in the queue's book (its entries and exits ahead of the key): one page per
        // ~1 MB of book, whatever the position, instead of every index entry ahead.
        let events = self.queue_book(district, cohort).await?;
        Ok(kezek_core::queue_book::position(
            &events,
            &kezek_core::queue_book::Place::of(key),
        ))
    }

    async fn queue_book(
        &self,
        district: &str,
        cohort: Cohort,
    ) -> Result<Vec<kezek_core::queue_book::QueueEvent>, StoreError> {
        let items = self
            .query_all(None, PK, book_pk(district, cohort), None, None)
            .await?;
        let mut events = Vec::new();
        for item in &items {
            let Some(list) = item.get("ev").and_then(|v| v.as_l().ok()) else {
                continue;
            };
            for v in list {
                let text = v
                    .as_s()
                    .map_err(|_| err("a queue book event that is not text"))?;
                events.push(
                    kezek_core::queue_book::QueueEvent::decode(text)
                        .ok_or_else(|| err(format!("a queue book event unread: {text:?}")))?,
                );
            }
        }
        Ok(events)
    }

    async fn queue(
        &self,
        district: &str,
        cohort: Cohort,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.queue_from(district, cohort, None, limit).await
    }

    async fn queue_after(
        &self,
        district: &str,
        cohort: Cohort,
        after: &QueueKey,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        self.queue_from(district, cohort, Some(after), limit).await
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

    async fn status_counts(&self, district: &str) -> Result<BTreeMap<Status, u64>, StoreError> {
        let shards = self.counters(district).await?;
        Ok(Status::ALL
            .iter()
            .map(|st| (*st, sum_counter(&shards, &status_attr(*st))))
            .collect())
    }
}

#[async_trait]
impl DueReads for DynamoStore {
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
        Ok(self.readable_apps(all))
    }

    fn due_parts(&self) -> u32 {
        DUE_SHARDS as u32
    }

    /// One shard of the due index: one query a page.
    async fn due_in_part(
        &self,
        sweep: Sweep,
        part: u32,
        now: Time,
        limit: usize,
    ) -> Result<Vec<Application>, StoreError> {
        if u64::from(part) >= DUE_SHARDS {
            return Ok(Vec::new());
        }
        let upto = format!("{}#~", micros(now));
        let items = self
            .query_all(
                Some(GSI2),
                GSI2PK,
                due_pk(sweep, u64::from(part)),
                Some(("#sk <= :sk", upto)),
                Some(limit),
            )
            .await?;
        Ok(self.readable_apps(items))
    }
}

#[async_trait]
impl CatalogueStore for DynamoStore {
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
            // Every pool a kindergarten has places in exists, even at 0. A cut keeps a place
            // for every voucher outstanding: the pool's places as read, and its offers within
            // them after the cut, or the change is refused as stale (the caller reads again).
            let (condition, mut values) = if d < 0 {
                let pool = self.get(pool_pk(&kg.district, a), POOL_SK).await?;
                let places = pool
                    .as_ref()
                    .and_then(|p| p.get("places"))
                    .and_then(|v| v.as_n().ok())
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0);
                (
                    Some("places = :was AND (attribute_not_exists(offered) OR offered <= :left)"),
                    HashMap::from([
                        (":was".to_owned(), n(places)),
                        (":left".to_owned(), n(places + d)),
                    ]),
                )
            } else {
                (None, HashMap::new())
            };
            values.insert(":d".into(), n(d));
            items.push((
                self.update(
                    key(pool_pk(&kg.district, a), POOL_SK),
                    "ADD places :d",
                    condition,
                    HashMap::new(),
                    values,
                )?,
                Guard::Unconditional,
            ));
        }
        match self.transact(items).await {
            Err(CommitError::Conflict(_)) => Err(CommitError::Conflict(Conflict::Stale)),
            other => other,
        }
    }
}

#[async_trait]
impl ChoiceReads for DynamoStore {
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
}

#[async_trait]
impl ProfileStore for DynamoStore {
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
impl DocumentStore for DynamoStore {
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
}
