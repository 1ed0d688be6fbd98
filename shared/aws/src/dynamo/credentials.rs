//! The credentials port on the table: rate limits, one-time codes, nonces and the staff
//! register.

use super::*;

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

    async fn count_attempt(
        &self,
        iin: &Iin,
        hash: &str,
        limit: u32,
    ) -> Result<Attempt, StoreError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(code_pk(iin), CODE_SK)))
            .update_expression("ADD attempts :one")
            .condition_expression(
                "#hash = :hash AND (attribute_not_exists(attempts) OR attempts < :limit)",
            )
            .expression_attribute_names("#hash", "hash")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":hash", s(hash))
            .expression_attribute_values(":limit", n(limit))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
            .send()
            .await;
        match out {
            Ok(o) => Ok(Attempt::Counted(
                o.attributes
                    .as_ref()
                    .map(|a| get_u64(a, "attempts") as u32)
                    .unwrap_or(0),
            )),
            Err(e) if conditional_failed(&e) => {
                // Refused: one read (on the refusal path only) tells a used-up code from a gone one.
                let item = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .set_key(Some(key(code_pk(iin), CODE_SK)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(sdk_err)?
                    .item;
                Ok(match item {
                    Some(i) if get_str(&i, "hash") == Some(hash) => Attempt::Exhausted,
                    _ => Attempt::Gone,
                })
            }
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
