//! The credentials port in memory: rate limits, codes, nonces and the staff register.

use super::*;

#[async_trait]
impl Credentials for EmbeddedStore {
    async fn hit(
        &self,
        key: &str,
        window_ends: chrono::DateTime<chrono::Utc>,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut g = self.lock();
        let n = g
            .hits
            .entry((key.to_owned(), window_ends.timestamp()))
            .or_insert(0);
        if *n >= limit {
            return Ok(false);
        }
        *n += 1;
        Ok(true)
    }

    async fn put_code(&self, code: CodeRecord) -> Result<(), StoreError> {
        self.lock().codes.insert(code.iin.clone(), code);
        Ok(())
    }

    async fn code(&self, iin: &Iin) -> Result<Option<CodeRecord>, StoreError> {
        Ok(self.lock().codes.get(iin).cloned())
    }

    async fn count_attempt(
        &self,
        iin: &Iin,
        hash: &str,
        limit: u32,
    ) -> Result<Attempt, StoreError> {
        let mut g = self.lock();
        Ok(match g.codes.get_mut(iin) {
            Some(c) if c.hash == hash && c.attempts < limit => {
                c.attempts += 1;
                Attempt::Counted(c.attempts)
            }
            Some(c) if c.hash == hash => Attempt::Exhausted,
            _ => Attempt::Gone,
        })
    }

    async fn take_code(&self, iin: &Iin, hash: &str) -> Result<bool, StoreError> {
        let mut g = self.lock();
        if g.codes.get(iin).is_some_and(|c| c.hash == hash) {
            g.codes.remove(iin);
            return Ok(true);
        }
        Ok(false)
    }

    async fn put_marker(
        &self,
        key: &str,
        until: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.lock().markers.insert(key.to_owned(), until);
        Ok(())
    }

    async fn marker(&self, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        Ok(self.lock().markers.get(key).copied())
    }

    async fn take_marker(
        &self,
        key: &str,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        Ok(self.lock().markers.remove(key))
    }

    async fn operator_districts(&self, iin: &Iin) -> Result<Option<Vec<String>>, StoreError> {
        Ok(self.lock().staff.get(iin).cloned())
    }

    async fn put_operator(&self, iin: &Iin, districts: Vec<String>) -> Result<(), StoreError> {
        self.lock().staff.insert(iin.clone(), districts);
        Ok(())
    }
}
