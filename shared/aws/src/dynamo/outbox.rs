//! The outbox port on the table: notification entries, their delivery marks and the relay's
//! bookkeeping.

use super::*;

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
        if note.kind == NotificationKind::OtpCode {
            // A one-time code is kept no longer than it works: DynamoDB removes the entry after
            // the code's lifetime (and `mark` removes the code once it is sent).
            let until = note.created_at
                + chrono::Duration::seconds(kezek_core::identity::CODE_LIFETIME_SECONDS);
            i.insert("ttl".into(), n(until.timestamp()));
        }
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
        // A one-time code's entry keeps no code once delivered (or given up).
        let code = if id.starts_with("otp:") {
            ", n.#params.#code"
        } else {
            ""
        };
        let names = if code.is_empty() {
            HashMap::new()
        } else {
            HashMap::from([
                ("#params".to_owned(), "params".to_owned()),
                ("#code".to_owned(), "code".to_owned()),
            ])
        };
        let (expr, counter, values) = match &delivery {
            Delivery::Delivered { at } => (
                "REMOVE GSI2PK, GSI2SK{code} SET delivered_at = :at",
                None,
                HashMap::from([(":at".to_owned(), s(at.to_rfc3339()))]),
            ),
            Delivery::Failed { at, error } => (
                "REMOVE GSI2PK, GSI2SK{code} SET failed_at = :at, failure = :e",
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
                &expr.replace("{code}", code),
                Some("attribute_exists(GSI2PK)"),
                names,
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
