//! The HTTP contract suite on the embedded store.

#[macro_use]
mod suite;

use std::sync::Arc;

http_cases!(async { Arc::new(kezek_core::store_embedded::EmbeddedStore::new()) });
